#!/usr/bin/env python3
"""Drive a Kafka-compatible broker with confluent-kafka's Python client (librdkafka).

  peer_confluent.py produce BOOTSTRAP TOPIC FILE [--key-delimiter D]
  peer_confluent.py consume BOOTSTRAP TOPIC OUTFILE --count N
  peer_confluent.py stream BOOTSTRAP TOPIC -            # line-at-a-time producer

stream: reads stdin one line at a time and produces each line at once (linger.ms=0, then
poll(0)), for the produce-to-follower latency workload; kcat -P cannot do that, as it sends
what it read from a pipe only at end of input.

produce: one record per line of FILE (newline stripped), keyed at the first D if given,
flushed before exit (acks=all, librdkafka's default). consume: assigns every partition of
TOPIC from the beginning and writes each value plus a newline to OUTFILE until N records
arrived. Both give up after --deadline seconds (default 300) so no loop runs unbounded.
"""
import argparse
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING


def produce(args):
    p = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5,
                  "queue.buffering.max.messages": 1000000})
    deadline = time.monotonic() + args.deadline
    delim = args.key_delimiter.encode() if args.key_delimiter else None
    n = 0
    with open(args.file, "rb") as f:
        for line in f:
            if line.endswith(b"\n"):
                line = line[:-1]
            key = None
            if delim is not None:
                k, sep, v = line.partition(delim)
                if sep:
                    key, line = k, v
            while True:
                try:
                    p.produce(args.topic, value=line, key=key)
                    break
                except BufferError:
                    p.poll(0.01)
                    if time.monotonic() > deadline:
                        sys.exit("peer_confluent: produce deadline passed")
            n += 1
            if n % 10000 == 0:
                p.poll(0)
    left = p.flush(max(1.0, deadline - time.monotonic()))
    if left:
        sys.exit(f"peer_confluent: {left} records not delivered")


def stream(args):
    p = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 0})
    for line in iter(sys.stdin.buffer.readline, b""):
        p.produce(args.topic, value=line.rstrip(b"\n"), partition=0)
        p.poll(0)
    p.flush(10)


def consume(args):
    c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "kq-bench-%d" % time.time_ns(),
                  "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    md = c.list_topics(args.topic, timeout=10)
    parts = sorted(md.topics[args.topic].partitions)
    c.assign([TopicPartition(args.topic, p, OFFSET_BEGINNING) for p in parts])
    deadline = time.monotonic() + args.deadline
    got = 0
    with open(args.outfile, "wb", buffering=1 << 20) as out:
        while got < args.count:
            if time.monotonic() > deadline:
                sys.exit(f"peer_confluent: consume deadline passed after {got} records")
            msgs = c.consume(num_messages=1000, timeout=1.0)
            vals = [m.value() or b"" for m in msgs if not m.error()]
            if vals:
                out.write(b"\n".join(vals))
                out.write(b"\n")
                got += len(vals)
    c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["produce", "consume", "stream"])
    ap.add_argument("bootstrap")
    ap.add_argument("topic")
    ap.add_argument("file")
    ap.add_argument("--key-delimiter")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--deadline", type=float, default=300)
    args = ap.parse_args()
    if args.mode == "produce":
        produce(args)
    elif args.mode == "stream":
        stream(args)
    else:
        args.outfile = args.file
        consume(args)


if __name__ == "__main__":
    main()
