#!/usr/bin/python3
"""The Python side of spec/adapters/amqp/interop-pika.spec.ts (Debian's python3-pika 1.2).

  interop.py publish URL QUEUE COUNT   publishes COUNT messages with confirms; prints a JSON report
  interop.py consume URL QUEUE COUNT   consumes COUNT messages (acks each); prints them as JSON

Message i carries every basic property and a header table of each field type; the values
are computed the same way by the Node side (expected(i) in the spec). JSON cannot hold
bytes, timestamps, decimals nor integers beyond 2^53 exactly, so they are tagged:
{"$bytes": hex}, {"$timestamp": seconds}, {"$decimal": "12.34"}, {"$int": "digits"}.
"""
import datetime
import decimal
import json
import sys

import pika


def properties(i):
    return pika.BasicProperties(
        content_type='application/json' if i % 2 == 0 else 'text/plain; charset=utf-8',
        content_encoding='identity',
        message_id='pika-%d' % i,
        correlation_id='corr-%d' % i,
        timestamp=1700000000 + i,
        priority=i % 10,
        delivery_mode=2 if i % 2 == 0 else 1,
        app_id='interop-pika',
        type='order.created',
        expiration=str(600000 + i),
        reply_to='reply-%d' % i,
        headers={
            'str': 'hello %d' % i,
            'unicode': 'żółw ✓ 日本',
            'empty': '',
            'int16': -1234,
            'int32': 2000000000,
            'int32neg': -2000000000,
            'int64': 2 ** 40 + i,
            'int64neg': -(2 ** 40) - i,
            'true': True,
            'false': False,
            'null': None,
            'table': {'a': {'b': 'c', 'n': 42}},
            'array': ['x', 1000, True],
            'bytes': bytes([0, 1, 255, i % 256]),
            'timestamp': datetime.datetime(2026, 12, 7, 12, 0, i % 60),
            'decimal': decimal.Decimal('12.34'),
        },
        # pika cannot send a float header: see float_header() below
    )


def body(i):
    return bytes(range(256)) + (u'body %d ✓' % i).encode('utf8')


def tag(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2 ** 53 else {'$int': str(value)}
    if isinstance(value, float):
        return {'$float': repr(value)}
    if isinstance(value, bytes):
        return {'$bytes': value.hex()}
    if isinstance(value, datetime.datetime):
        return {'$timestamp': int(value.replace(tzinfo=datetime.timezone.utc).timestamp())}
    if isinstance(value, decimal.Decimal):
        return {'$decimal': str(value)}
    if isinstance(value, dict):
        return {k: tag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [tag(v) for v in value]
    return {'$unknown': repr(value)}


def float_header(channel, queue):
    """What pika does with a float header: it refuses to encode it."""
    try:
        channel.basic_publish('', queue, b'', pika.BasicProperties(headers={'f': 1.5}))
        return 'sent'
    except Exception as error:  # pylint: disable=broad-except
        return type(error).__name__


def main():
    mode, url, queue, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    if mode == 'publish':
        channel.confirm_delivery()
        for i in range(count):
            channel.basic_publish('', queue, body(i), properties(i), mandatory=True)
        report = {'published': count, 'floatHeader': float_header(channel, queue + '.no-such-queue')}
        print(json.dumps(report))
    elif mode == 'consume':
        channel.basic_qos(prefetch_count=50)
        out = []
        for method, props, payload in channel.consume(queue, inactivity_timeout=20):
            if method is None:
                break
            out.append({
                'body': payload.hex(),
                'redelivered': method.redelivered,
                'properties': {
                    'contentType': props.content_type,
                    'contentEncoding': props.content_encoding,
                    'messageId': props.message_id,
                    'correlationId': props.correlation_id,
                    'timestamp': props.timestamp,
                    'priority': props.priority,
                    'deliveryMode': props.delivery_mode,
                    'appId': props.app_id,
                    'type': props.type,
                    'expiration': props.expiration,
                    'replyTo': props.reply_to,
                    'headers': tag(props.headers or {}),
                },
            })
            channel.basic_ack(method.delivery_tag)
            if len(out) == count:
                break
        channel.cancel()
        print(json.dumps({'messages': out}))
    else:
        raise SystemExit('usage: interop.py publish|consume URL QUEUE COUNT')
    connection.close()


if __name__ == '__main__':
    main()
