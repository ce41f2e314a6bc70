import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import { AmqpConnectionError, connect, consume, publish, workQueue, type Delivery } from '../../../adapters/amqp'
import { Flow } from '../../../lib/flow'
import { AMQP_URL, describeBroker, Raw, uniqueName, until } from './broker'

/**
 * `amqps://` against a TLS-terminating proxy (Node `tls.createServer` on 127.0.0.1, piping
 * to the local broker's plain listener) with a throwaway CA and certificates made by
 * `openssl` in a temp dir. Not a TLS listener on the broker itself: `ssl_listeners` need a
 * broker restart, and the broker is shared by every engineer's tests on this machine.
 */

const broker = new URL(AMQP_URL)
const BROKER_PORT = Number(broker.port || 5672)
const CREDENTIALS = `${broker.username || 'guest'}:${broker.password || 'guest'}`

interface Pki {
  dir: string
  ca: Buffer
  otherCa: Buffer
  serverKey: Buffer
  serverCert: Buffer
  clientKey: Buffer
  clientCert: Buffer
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
}

/** CA, a server certificate for DNS:broker.test only (not the IP), a client certificate, and an unrelated CA. */
function makePki(): Pki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tls-'))
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl(dir, 'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=sluice test CA')
  openssl(dir, 'req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.crt', '-days', '1', '-subj', '/CN=unrelated CA')
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:broker.test\nextendedKeyUsage=serverAuth\n')
  openssl(dir, 'req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=broker.test')
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'server.ext')
  fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n')
  openssl(dir, 'req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=sluice-client')
  openssl(dir, 'x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '1', '-extfile', 'client.ext')
  const read = (f: string): Buffer => fs.readFileSync(path.join(dir, f))
  return { dir, ca: read('ca.crt'), otherCa: read('other.crt'), serverKey: read('server.key'), serverCert: read('server.crt'), clientKey: read('client.key'), clientCert: read('client.crt') }
}

interface Proxy {
  port: number
  /** SNI name and client-certificate CN of each accepted TLS connection. */
  accepted: { servername: string | false; clientCn: string | null }[]
  close(): Promise<void>
}

async function tlsProxy(pki: Pki, requireClientCert: boolean): Promise<Proxy> {
  const sockets = new Set<net.Socket>()
  const accepted: Proxy['accepted'] = []
  const server = tls.createServer({ key: pki.serverKey, cert: pki.serverCert, ca: pki.ca, requestCert: requireClientCert, rejectUnauthorized: requireClientCert }, (client) => {
    const peer = client.getPeerCertificate()
    accepted.push({ servername: client.servername ?? false, clientCn: typeof peer.subject?.CN === 'string' ? peer.subject.CN : null })
    const upstream = net.connect(BROKER_PORT, '127.0.0.1')
    sockets.add(client).add(upstream)
    client.pipe(upstream).pipe(client)
    const end = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  server.on('tlsClientError', () => undefined)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** openssl makes the throwaway CA; without it the file skips with a reason (fails under SLUICE_REQUIRE_BROKER=1, as CI sets). */
const opensslMissing = spawnSync('openssl', ['version']).status !== 0
if (opensslMissing && process.env.SLUICE_REQUIRE_BROKER !== '1') console.warn('[sluice amqp] skipping the TLS tests: `openssl` is not installed (CI: apt-get install openssl)')

;(opensslMissing && process.env.SLUICE_REQUIRE_BROKER !== '1' ? describe.skip : describeBroker)('amqp over TLS (amqps://, TLS-terminating proxy)', () => {
  let pki: Pki
  let proxy: Proxy
  let mtls: Proxy
  beforeAll(async () => {
    pki = makePki()
    proxy = await tlsProxy(pki, false)
    mtls = await tlsProxy(pki, true)
  })
  afterAll(async () => {
    await proxy.close()
    await mtls.close()
    fs.rmSync(pki.dir, { recursive: true, force: true })
  })

  it('with tls.ca and tls.servername: connects, publishes and consumes through TLS; the proxy saw the SNI name', async () => {
    const queue = uniqueName('tls')
    const connection = await connect(`amqps://${CREDENTIALS}@127.0.0.1:${proxy.port}`, { tls: { ca: pki.ca, servername: 'broker.test' }, topology: workQueue({ queue, deadLetter: false }) })
    try {
      const sink = publish(connection, { exchange: '', routingKey: queue })
      Flow.of({ content: 'over' }, { content: 'tls' }).subscribe(sink)
      expect((await sink.done).confirmed).toBe(2)
      const seen: string[] = []
      const flow = consume(connection, { queue, ack: 'on-emit' }).forEach((d: Delivery) => {
        seen.push(d.text())
      })
      await until(() => seen.length === 2, 'two deliveries over TLS')
      expect(seen).toEqual(['over', 'tls'])
      expect(proxy.accepted.length).toBeGreaterThanOrEqual(2) // publish + consume connections
      expect(proxy.accepted.every((a) => a.servername === 'broker.test')).toBe(true)
      await connection.close()
      await flow
    } finally {
      await connection.close()
      const raw = await Raw.open()
      await raw.delete(queue)
      await raw.close()
    }
  }, 30_000)

  it('a CA that did not sign the broker certificate fails fast with a clear AmqpConnectionError', async () => {
    const error = await connect(`amqps://${CREDENTIALS}@127.0.0.1:${proxy.port}`, { tls: { ca: pki.otherCa, servername: 'broker.test' } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AmqpConnectionError)
    expect(String(error)).toMatch(/the broker certificate is not trusted; pass tls\.ca with the CA that signed it/)
    expect(String(error)).toContain(':***@127.0.0.1') // and still no credentials
  })

  it('without servername (the IP is not in the certificate): a hostname error that says to set tls.servername', async () => {
    const error = await connect(`amqps://${CREDENTIALS}@127.0.0.1:${proxy.port}`, { tls: { ca: pki.ca } }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AmqpConnectionError)
    expect(String(error)).toMatch(/set tls\.servername/)
  })

  it('a broker that requires client certificates: tls.cert and tls.key are presented; without them the connection fails', async () => {
    const connection = await connect(`amqps://${CREDENTIALS}@127.0.0.1:${mtls.port}`, { tls: { ca: pki.ca, servername: 'broker.test', cert: pki.clientCert, key: pki.clientKey }, separateConnections: false })
    await connection.close()
    expect(mtls.accepted.map((a) => a.clientCn)).toEqual(['sluice-client'])
    const refused = await connect(`amqps://${CREDENTIALS}@127.0.0.1:${mtls.port}`, { tls: { ca: pki.ca, servername: 'broker.test' }, separateConnections: false }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(AmqpConnectionError)
    expect(mtls.accepted).toHaveLength(1)
  })
})
