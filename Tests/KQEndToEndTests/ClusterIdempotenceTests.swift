import Foundation
import Glibc
import KQTestSupport
import Testing

/// `kq produce --brokers` as an idempotent producer: an answer lost after the broker stored
/// the records is retried, and the records are stored once.
@Suite("idempotent produce on a cluster", .enabled(if: TestPeer.tansu.shouldRun && TestPeer.python3.shouldRun))
struct ClusterIdempotenceTests {
  /// A TCP proxy (ARGV[1] to ARGV[2]) that relays Kafka frames both ways, except the answer to
  /// the first Produce request: the request reaches the broker, and when its answer comes the
  /// proxy closes that connection instead ("dropped" on stdout).
  ///
  /// With ARGV[3] `pipelined`: the answer to the second Produce request is held until the third
  /// request arrives ("3 sent before 2 answered" on stdout when it comes on the same connection
  /// while the second is out), and the connection is closed at the fourth answer instead.
  static let proxy = """
    import socket, struct, sys, threading
    listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
    pipelined = len(sys.argv) > 3 and sys.argv[3] == 'pipelined'
    state = {'pending': None, 'dropped': False, 'count': 0, 'numbers': {}, 'answered': set()}
    third = threading.Event()
    lock = threading.Lock()
    def read_exact(s, n):
        data = b''
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk: return None
            data += chunk
        return data
    def frames(src, dst, inspect):
        try:
            while True:
                head = read_exact(src, 4)
                if head is None: break
                body = read_exact(src, struct.unpack('>i', head)[0])
                if body is None: break
                if inspect(body) == 'drop':
                    print('dropped', flush=True)
                    break
                dst.sendall(head + body)
        except OSError:
            pass
        for s in (src, dst):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
    def serve(client):
        server = socket.create_connection(('127.0.0.1', target_port))
        mine = {}
        def upstream(body):
            key, _, correlation = struct.unpack_from('>hhi', body)
            with lock:
                if pipelined and key == 0:
                    state['count'] += 1; n = state['count']; mine[correlation] = n
                    if n == 3:
                        on_this_connection = 2 in mine.values()
                        if on_this_connection and 2 not in state['answered']: print('3 sent before 2 answered', flush=True)
                        else: print('3 sent after 2 was answered or its connection closed', flush=True)
                        third.set()
                elif key == 0 and not state['dropped'] and state['pending'] is None:
                    state['pending'] = correlation; mine['c'] = correlation
        def downstream(body):
            correlation = struct.unpack_from('>i', body)[0]
            if pipelined:
                n = mine.get(correlation)
                if n == 2: third.wait(120)
                with lock:
                    if n is not None: state['answered'].add(n)
                    if n == 4 and not state['dropped']:
                        state['dropped'] = True
                        return 'drop'
                return
            with lock:
                if mine.get('c') == correlation and not state['dropped']:
                    state['dropped'] = True
                    return 'drop'
        threading.Thread(target=frames, args=(client, server, upstream), daemon=True).start()
        frames(server, client, downstream)
    listener = socket.socket(); listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', listen_port)); listener.listen(16)
    print('ready', flush=True)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()
    """

  /// The proxy, started and ready, killed when released.
  final class Proxy {
    let process = Process()
    let output = Pipe()

    init(listening port: UInt16, to target: UInt16, pipelined: Bool = false) throws {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments =
        ["python3", "-u", "-c", ClusterIdempotenceTests.proxy, String(port), String(target)] + (pipelined ? ["pipelined"] : [])
      process.standardOutput = output
      process.standardError = FileHandle.nullDevice
      try process.run()
      #expect(readLine() == "ready")
    }

    deinit {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }

    /// The next line it printed (blocking until it does).
    func readLine() -> String {
      var line: [UInt8] = []
      while true {
        guard let byte = try? output.fileHandleForReading.read(upToCount: 1), let first = byte.first, first != 10 else {
          return String(decoding: line, as: UTF8.self)
        }
        line.append(first)
      }
    }
  }

  @Test("an answer to a produce lost after the broker stored it: kq sends the stamped batches again, exits 0, prints their offsets, and the topic holds each record once")
  func lostAnswerIsRetried() throws {
    _ = try TestPeer.tansu.require()
    let proxyPort = try TansuBroker.freePort()
    let broker = try TansuBroker(advertisedPort: proxyPort)
    let proxy = try Proxy(listening: proxyPort, to: broker.port)
    let kq = try KQSandbox()
    let environment = ["KQ_BROKERS": "127.0.0.1:\(proxyPort)"]
    try kq.run(["topic", "create", "t"], stdin: [], environment: environment).checked()
    try kq.run(["produce", "t", "-p", "0"], stdin: Array("a\nb\n".utf8), environment: environment).checked()
    let produced = try kq.run(["produce", "t", "--print-offsets"], stdin: Array("c\nd\ne\n".utf8), environment: environment)
    #expect(proxy.readLine() == "dropped")
    #expect(produced.status == 0, "\(produced)")
    #expect(produced.output == "0 2\n0 3\n0 4\n")
    #expect(try kq.run(["consume", "t"], stdin: [], environment: environment).checked().output == "a\nb\nc\nd\ne\n")
  }

  @Test("bulk produce keeps requests in flight per partition; an answer lost among them is resent from the first unacknowledged, in order: each record once, in input order, every offset printed")
  func pipelinedProduceResendsInOrder() throws {
    _ = try TestPeer.tansu.require()
    let proxyPort = try TansuBroker.freePort()
    let broker = try TansuBroker(advertisedPort: proxyPort)
    let proxy = try Proxy(listening: proxyPort, to: broker.port, pipelined: true)
    let kq = try KQSandbox()
    let environment = ["KQ_BROKERS": "127.0.0.1:\(proxyPort)"]
    try kq.run(["topic", "create", "t"], stdin: [], environment: environment).checked()
    // 7 MiB from a file: the whole input is there to read, so kq flushes 1 MiB at a time and
    // reads on while the answers are out; the proxy answers the second request only once the
    // third has come.
    let count = 70_000
    let lines = (0..<count).map { "record \($0) " + String(repeating: "x", count: 80) }
    try kq.write(lines.joined(separator: "\n") + "\n", to: "input")
    let produced = try kq.shell("kq produce t --print-offsets < input", environment: environment)
    #expect(proxy.readLine() == "3 sent before 2 answered")
    #expect(proxy.readLine() == "dropped")
    #expect(produced.status == 0, "\(produced)")
    #expect(produced.lines == (0..<count).map { "0 \($0)" }, "\(produced.lines.count) offsets printed")
    let read = try kq.run(["consume", "t"], stdin: [], environment: environment).checked().lines
    #expect(read.count == count && read == lines, "\(read.count) records read for \(count)")
  }
}
