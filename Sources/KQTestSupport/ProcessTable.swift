import Foundation

/// What /proc shows of processes: their process groups, and which are still alive.
package enum ProcessTable {
  /// The fields of /proc/PID/stat after the command name: state, ppid, pgrp, …; nil when
  /// the process is gone.
  private static func fields(of pid: Int32, thread: Int32? = nil) -> [Substring]? {
    let path = thread.map { "/proc/\(pid)/task/\($0)/stat" } ?? "/proc/\(pid)/stat"
    guard let stat = try? String(contentsOfFile: path, encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    return stat[stat.index(after: close)...].split(separator: " ")
  }

  /// The process group of `pid`, while it exists.
  package static func group(of pid: Int32) -> Int32? {
    fields(of: pid).flatMap { $0.count > 2 ? Int32($0[2]) : nil }
  }

  /// Whether `pid` runs (a zombie does not: it only waits to be reaped).
  package static func isAlive(_ pid: Int32) -> Bool {
    guard let fields = fields(of: pid), let state = fields.first else { return false }
    return state != "Z" && state != "X"
  }

  /// Sends `pid` SIGSTOP and waits until every one of its threads has stopped: until then, a
  /// thread that a request wakes may still answer it (seen under load). False when they did
  /// not all stop within 10 s.
  package static func freeze(_ pid: Int32) -> Bool {
    kill(pid, SIGSTOP)
    return eventually(timeout: 10) {
      let threads = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []).compactMap { Int32($0) }
      // A thread that ended meanwhile has no state to wait for.
      return !threads.isEmpty && threads.allSatisfy { (fields(of: pid, thread: $0)?.first ?? "T") == "T" }
    }
  }

  /// The processes of group `group` that are alive (zombies are not: they only wait to be
  /// reaped, and a container's init may never reap them).
  package static func livingMembers(ofGroup group: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { isAlive($0) && Self.group(of: $0) == group }
  }
}
