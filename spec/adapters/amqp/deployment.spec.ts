import { spawn, type ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { configFromEnv, startService, type Service } from '../../../examples/order-processing/service'
import type { Order } from '../../../examples/order-processing/orders'
import { AMQP_URL, closeConnectionsNamed, describeBroker, Raw, sleep, uniqueName, until } from './broker'
import { mergeValues, render, yaml, type RenderContext } from './helm-subset'

/**
 * Deployment of examples/order-processing: the chart rendered (Helm subset renderer) and
 * checked against the Kubernetes fields it must carry, the Dockerfile's structure, the
 * probe endpoints and the SIGTERM drain — in-process, and out of process on exactly the
 * files the Dockerfile copies into the image.
 */

const EXAMPLE = path.resolve(__dirname, '../../../examples/order-processing')
const CHART = path.join(EXAMPLE, 'chart')
const ROOT = path.resolve(__dirname, '../../..')

type Doc = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec: Record<string, unknown> }

function chartValues(): Record<string, unknown> {
  return yaml.load(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>
}

function renderChart(overrides: Record<string, unknown> = {}): Doc[] {
  const chart = yaml.load(fs.readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')) as Record<string, unknown>
  const ctx: RenderContext = {
    Values: mergeValues(chartValues(), overrides),
    Release: { Name: 'shop', Namespace: 'orders' },
    Chart: { Name: chart.name, AppVersion: chart.appVersion, Version: chart.version },
  }
  const docs: Doc[] = []
  for (const file of fs.readdirSync(path.join(CHART, 'templates')).sort()) {
    const text = render(fs.readFileSync(path.join(CHART, 'templates', file), 'utf8'), ctx)
    for (const doc of yaml.loadAll(text)) if (doc !== null && doc !== undefined) docs.push(doc as Doc)
  }
  return docs
}

function find(docs: Doc[], kind: string, name: string): Doc {
  const doc = docs.find((d) => d.kind === kind && d.metadata.name === name)
  if (doc === undefined) throw new Error(`no ${kind} ${name} in the rendered chart (have ${docs.map((d) => `${d.kind}/${d.metadata.name}`).join(', ')})`)
  return doc
}

interface Container {
  name: string
  image: string
  args: string[]
  env: { name: string; value?: string }[]
  ports: { name: string; containerPort: number }[]
  livenessProbe: { httpGet: { path: string; port: string | number } }
  readinessProbe: { httpGet: { path: string; port: string | number } }
  securityContext: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean }
  resources: { requests?: Record<string, string>; limits?: Record<string, string> }
  volumeMounts?: { name: string; mountPath: string }[]
}

/** The Kubernetes fields a Deployment must carry, and what this chart promises on top. */
function checkDeployment(d: Doc, role: 'worker' | 'gateway'): Container {
  expect(d.apiVersion).toBe('apps/v1')
  const spec = d.spec as { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } }
  expect(Object.keys(spec.selector.matchLabels).length).toBeGreaterThan(0)
  for (const [k, v] of Object.entries(spec.selector.matchLabels)) expect(spec.template.metadata.labels[k]).toBe(v) // selector must match the pods
  const pod = spec.template.spec as { containers: Container[]; terminationGracePeriodSeconds: number; securityContext: { runAsNonRoot: boolean; runAsUser: number }; volumes: { name: string }[] }
  expect(pod.securityContext.runAsNonRoot).toBe(true)
  expect(pod.securityContext.runAsUser).toBeGreaterThan(0)
  expect(pod.containers).toHaveLength(1)
  const c = pod.containers[0] as Container
  for (const field of ['name', 'image'] as const) expect(typeof c[field]).toBe('string')
  expect(c.args).toEqual([role])
  // probes hit the endpoints the service serves, on the port it listens on
  const port = c.ports.find((p) => p.name === c.livenessProbe.httpGet.port)
  expect(port?.containerPort).toBe(Number(c.env.find((e) => e.name === 'PORT')?.value))
  expect(c.livenessProbe.httpGet.path).toBe('/healthz')
  expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' })
  expect(c.securityContext.allowPrivilegeEscalation).toBe(false)
  expect(c.securityContext.readOnlyRootFilesystem).toBe(true)
  // env values must be strings for the API server; the service must accept them
  for (const e of c.env) expect(typeof e.value).toBe('string')
  const env = Object.fromEntries(c.env.map((e) => [e.name, e.value ?? '']))
  expect(() => configFromEnv(role, { ...env, AMQP_URL_FILE: '', AMQP_TLS_CA_FILE: '' })).not.toThrow() // (the files exist only in the pod)
  // the drain finishes before the kubelet's SIGKILL
  const drainMs = Number(env.DRAIN_TIMEOUT_MS)
  expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs)
  // the broker URL comes from a mounted secret, never from an env value
  expect(env.AMQP_URL).toBeUndefined()
  const mount = c.volumeMounts?.find((m) => env.AMQP_URL_FILE?.startsWith(m.mountPath))
  expect(mount).toBeDefined()
  expect(pod.volumes.map((v) => v.name)).toContain(mount?.name)
  return c
}

describe('examples/order-processing deployment (no cluster: rendered and checked here)', () => {
  it('the chart renders to valid Kubernetes objects: worker and gateway Deployments, a Service, a KEDA ScaledObject on the queue length', () => {
    const docs = renderChart()
    for (const d of docs) {
      expect(typeof d.apiVersion).toBe('string')
      expect(typeof d.kind).toBe('string')
      expect(d.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/) // a DNS-1123 name
      expect(d.metadata.namespace).toBe('orders')
    }
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(['Deployment/shop-gateway', 'Deployment/shop-worker', 'ScaledObject/shop-worker', 'Service/shop-gateway', 'TriggerAuthentication/shop-rabbitmq'])
    const worker = find(docs, 'Deployment', 'shop-worker')
    const wc = checkDeployment(worker, 'worker')
    checkDeployment(find(docs, 'Deployment', 'shop-gateway'), 'gateway')
    expect(worker.spec.replicas).toBeUndefined() // KEDA's HPA owns it
    const values = chartValues() as { drainTimeoutSeconds: number; queue: string; worker: { prefetch: number } }
    expect((worker.spec as { template: { spec: { terminationGracePeriodSeconds: number } } }).template.spec.terminationGracePeriodSeconds).toBe(values.drainTimeoutSeconds + 10)
    expect(wc.env.find((e) => e.name === 'DRAIN_TIMEOUT_MS')?.value).toBe(String(values.drainTimeoutSeconds * 1000))

    const service = find(docs, 'Service', 'shop-gateway')
    const gatewayLabels = (find(docs, 'Deployment', 'shop-gateway').spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels
    for (const [k, v] of Object.entries((service.spec as { selector: Record<string, string> }).selector)) expect(gatewayLabels[k]).toBe(v)

    const scaled = find(docs, 'ScaledObject', 'shop-worker')
    expect(scaled.apiVersion).toBe('keda.sh/v1alpha1')
    const s = scaled.spec as { scaleTargetRef: { name: string }; minReplicaCount: number; maxReplicaCount: number; triggers: { type: string; metadata: Record<string, string>; authenticationRef: { name: string } }[] }
    expect(s.scaleTargetRef.name).toBe('shop-worker')
    expect(s.minReplicaCount).toBeLessThanOrEqual(s.maxReplicaCount)
    expect(s.triggers).toHaveLength(1)
    const trigger = s.triggers[0] as (typeof s.triggers)[number]
    expect(trigger.type).toBe('rabbitmq')
    expect(trigger.metadata).toMatchObject({ mode: 'QueueLength', queueName: values.queue, protocol: 'amqp' })
    expect(trigger.metadata.queueName).toBe(wc.env.find((e) => e.name === 'QUEUE')?.value) // scales on the queue the workers consume
    expect(typeof trigger.metadata.value).toBe('string') // KEDA wants strings in trigger metadata
    const auth = find(docs, 'TriggerAuthentication', trigger.authenticationRef.name)
    expect((auth.spec as { secretTargetRef: { parameter: string }[] }).secretTargetRef.map((r) => r.parameter)).toEqual(['host'])
  })

  it('values drive it: without KEDA the worker has replicas and no ScaledObject; TLS mounts the CA', () => {
    const docs = renderChart({ keda: { enabled: false }, worker: { replicas: 3 }, amqp: { tls: { enabled: true, servername: 'rabbit.internal' } } })
    expect(docs.some((d) => d.kind === 'ScaledObject' || d.kind === 'TriggerAuthentication')).toBe(false)
    const worker = find(docs, 'Deployment', 'shop-worker')
    expect(worker.spec.replicas).toBe(3)
    const c = checkDeployment(worker, 'worker')
    expect(c.env.find((e) => e.name === 'AMQP_TLS_SERVERNAME')?.value).toBe('rabbit.internal')
    expect(c.volumeMounts?.map((m) => m.mountPath)).toContain('/var/run/secrets/amqp-tls')
  })

  it('the subset renderer refuses what it does not understand (so the check cannot pass vacuously)', () => {
    const ctx: RenderContext = { Values: { a: 1 }, Release: { Name: 'r', Namespace: 'n' }, Chart: {} }
    expect(() => render('{{ include "x" . }}', ctx)).toThrow(/unsupported/)
    expect(() => render('{{ .Values.missing }}', ctx)).toThrow(/not defined/)
    expect(render('a: {{ add .Values.a 2 }}{{- if not .Values.a }} no{{ else }} yes{{ end }}', ctx)).toBe('a: 3 yes')
  })

  it('the Dockerfile: multi-stage, npm ci --omit=dev from the example lock, non-root, HEALTHCHECK on /healthz, exec-form entrypoint', () => {
    const text = fs.readFileSync(path.join(EXAMPLE, 'Dockerfile'), 'utf8')
    const lines = text.split('\n').filter((l) => !l.startsWith('#'))
    const stages = lines.filter((l) => l.startsWith('FROM '))
    expect(stages.length).toBeGreaterThanOrEqual(2)
    const last = text.slice(text.lastIndexOf('\nFROM '))
    expect(text).toMatch(/RUN npm ci --omit=dev/)
    expect(last).toMatch(/^USER (?!root|0\b)\S+/m)
    expect(last).toMatch(/HEALTHCHECK[\s\S]*\/healthz/)
    expect(last).toMatch(/^ENTRYPOINT \["node", "dist\/examples\/order-processing\/service\.js"\]/m)
    // the example's lock names exactly its runtime dependencies
    const pkg = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    const lock = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> }
    for (const [name, version] of Object.entries(pkg.dependencies)) expect(lock.packages[`node_modules/${name}`]?.version).toBe(version)
    // every dist path the runtime stage copies is produced by the build
    for (const m of last.matchAll(/COPY --from=build \S+ \/src\/(dist\/\S+)/g)) expect(fs.existsSync(path.join(ROOT, m[1] as string))).toBe(true)
  })
})

async function get(port: number, p: string): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}${p}`)).status
  } catch {
    return -1
  }
}

async function post(port: number, body: string): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/orders`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })).status
}

describeBroker('examples/order-processing service: probes and SIGTERM drain', () => {
  const queues: string[] = []
  afterAll(async () => {
    const raw = await Raw.open()
    for (const q of queues) {
      await raw.delete(q, `${q}.retry`, `${q}.dead`)
      await raw.deleteExchange(`${q}.retry`, `${q}.dlx`)
    }
    await raw.close()
  })

  it('in-process: /healthz, /readyz follow the connection, POST /orders, 413 over the cap, SIGTERM → not ready, in-flight finished and acked, exit', async () => {
    const queue = uniqueName('service')
    queues.push(queue)
    const name = `sluice-svc-${process.pid}`
    const signals = new EventEmitter()
    const handled: string[] = []
    let release: () => void = () => undefined
    const slowStarted = { value: false }
    const handle = async (order: Order): Promise<void> => {
      if (order.id === 'slow') {
        slowStarted.value = true
        await new Promise<void>((r) => (release = r))
      }
      handled.push(order.id)
    }
    const base = { url: AMQP_URL, queue, prefetch: 10, concurrency: 2, maxMessageBytes: 1024, drainTimeoutMs: 5000, port: 0 }
    const worker = await startService({ ...base, role: 'worker', name: `${name}-worker` }, { signals, handle })
    const gateway = await startService({ ...base, role: 'gateway', name: `${name}-gateway` }, { signals: new EventEmitter() })
    const services: Service[] = [worker, gateway]
    try {
      expect(await get(worker.port, '/healthz')).toBe(200)
      await until(async () => (await get(worker.port, '/readyz')) === 200, 'worker ready')
      expect(await get(gateway.port, '/readyz')).toBe(200)
      for (const id of ['o1', 'o2', 'o3']) expect(await post(gateway.port, JSON.stringify({ id, customer: 'c', items: [] }))).toBe(202)
      expect(await post(gateway.port, JSON.stringify({ id: 'big', pad: 'x'.repeat(2000) }))).toBe(413)
      expect(await post(gateway.port, 'not json')).toBe(400)
      await until(() => handled.length === 3, 'three orders handled')
      await until(async () => /orders_processed_total 3/.test(await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text()), 'metrics')

      // readiness follows the broker connection: forced close → 503 → reconnected → 200
      const statuses: number[] = []
      let polling = true
      const poll = (async () => {
        while (polling) {
          statuses.push(await get(worker.port, '/readyz'))
          await sleep(5)
        }
      })()
      expect(await closeConnectionsNamed(`${name}-worker`)).toBeGreaterThan(0)
      await until(() => statuses.includes(503), 'not ready while disconnected')
      await until(() => statuses[statuses.length - 1] === 200, 'ready again after reconnecting', 15_000)
      polling = false
      await poll
      expect(await get(worker.port, '/healthz')).toBe(200) // liveness does not flap with the broker

      // SIGTERM with an order in flight
      expect(await post(gateway.port, JSON.stringify({ id: 'slow', customer: 'c', items: [] }))).toBe(202)
      await until(() => slowStarted.value, 'the slow order in flight')
      signals.emit('SIGTERM')
      expect(await get(worker.port, '/readyz')).toBe(503)
      expect(await get(worker.port, '/healthz')).toBe(200) // draining is alive
      await sleep(200)
      expect(handled).not.toContain('slow')
      release()
      await worker.stopped
      expect(handled).toContain('slow')
      expect(await get(worker.port, '/healthz')).toBe(-1) // the server is closed
      const raw = await Raw.open()
      expect(await raw.depth(queue)).toBe(0) // acked before the connection closed: nothing requeued
      await raw.close()
    } finally {
      release()
      for (const s of services) await s.shutdown()
    }
  }, 60_000)

  it('out of process, on exactly the files the Dockerfile copies: serves the probes, exits 0 on a real SIGTERM', async () => {
    const queue = uniqueName('image')
    queues.push(queue)
    const app = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-image-'))
    let child: ChildProcess | null = null
    try {
      for (const dir of ['dist/lib', 'dist/adapters/amqp', 'dist/examples/order-processing']) {
        const from = path.join(ROOT, dir)
        if (!fs.existsSync(path.join(from))) throw new Error(`${from} is missing: run \`npm run build\` first`)
        fs.cpSync(from, path.join(app, dir), { recursive: true })
      }
      const service = path.join(app, 'dist/examples/order-processing/service.js')
      if (fs.statSync(path.join(EXAMPLE, 'service.ts')).mtimeMs > fs.statSync(path.join(ROOT, 'dist/examples/order-processing/service.js')).mtimeMs) {
        throw new Error('dist/examples/order-processing/service.js is older than its source: run `npm run build` first')
      }
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'))
      const urlFile = path.join(app, 'amqp-url')
      fs.writeFileSync(urlFile, AMQP_URL)
      const port = 20_000 + (process.pid % 20_000)
      const output: string[] = []
      child = spawn(process.execPath, [service, 'worker'], { cwd: app, env: { PATH: process.env.PATH ?? '', AMQP_URL_FILE: urlFile, QUEUE: queue, PORT: String(port), DRAIN_TIMEOUT_MS: '3000' }, stdio: ['ignore', 'pipe', 'pipe'] })
      child.stdout?.on('data', (d: Buffer) => output.push(d.toString()))
      child.stderr?.on('data', (d: Buffer) => output.push(d.toString()))
      const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)))
      await until(async () => (await get(port, '/readyz')) === 200, `the service ready (output: ${output.join('')})`, 15_000)
      expect(await get(port, '/healthz')).toBe(200)
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      expect(output.join('')).toMatch(/drained; bye/)
      expect(output.join('')).not.toContain('guest:guest') // the URL never reaches the logs
    } finally {
      if (child !== null && child.exitCode === null) child.kill('SIGKILL')
      fs.rmSync(app, { recursive: true, force: true })
    }
  }, 30_000)
})
