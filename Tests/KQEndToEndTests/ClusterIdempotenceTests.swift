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
  static let proxy = """
    import socket, struct, sys, threading
    listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
    state = {'pending': None, 'dropped': False}
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
                if key == 0 and not state['dropped'] and state['pending'] is None:
                    state['pending'] = correlation; mine['c'] = correlation
        def downstream(body):
            correlation = struct.unpack_from('>i', body)[0]
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

    init(listening port: UInt16, to target: UInt16) throws {
      process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      process.arguments = ["python3", "-u", "-c", ClusterIdempotenceTests.proxy, String(port), String(target)]
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
}
