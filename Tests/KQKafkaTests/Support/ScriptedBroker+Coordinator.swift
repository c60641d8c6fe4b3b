@testable import KQKafka

/// A scripted broker as the coordinator of a one-member group.
extension ScriptedBroker {
  /// Answers FindCoordinator: this broker, node 1 at `port`, coordinates the key asked for.
  static func answerFindCoordinator(_ peer: FakeBroker.Peer, _ request: FakeBroker.Peer.Request, port: Int32) {
    var r = request.body
    _ = try? r.int8()
    _ = try? r.arrayCount()
    let key = (try? r.string()) ?? ""
    peer.answer(request) { w in
      w.int32(0)
      w.arrayCount(1)
      w.string(key)
      w.int32(1)
      w.string("127.0.0.1")
      w.int32(port)
      w.int16(0)
      w.nullableString(nil)
      w.taggedFields()
      w.taggedFields()
    }
  }

  /// Answers JoinGroup: MEMBER_ID_REQUIRED on a join without a member id (KIP-394), then
  /// generation 1 of protocol "range" with "m-1" as its only member and leader. Returns the
  /// member id and the first protocol the join named.
  @discardableResult
  static func answerJoinGroup(_ peer: FakeBroker.Peer, _ request: FakeBroker.Peer.Request)
    -> (memberId: String, protocolName: String)
  {
    var r = request.body
    _ = try? r.string()
    _ = try? r.int32()
    _ = try? r.int32()
    let memberId = (try? r.string()) ?? "?"
    _ = try? r.nullableString()
    _ = try? r.string()
    _ = try? r.arrayCount()
    let protocolName = (try? r.string()) ?? "?"
    let metadata = (try? r.bytes()) ?? []
    peer.answer(request) { w in
      w.int32(0)
      w.int16(memberId.isEmpty ? 79 : 0)  // MEMBER_ID_REQUIRED on the first join
      w.int32(memberId.isEmpty ? -1 : 1)
      w.nullableString("consumer")
      w.nullableString(memberId.isEmpty ? nil : "range")
      w.string(memberId.isEmpty ? "" : "m-1")
      w.bool(false)
      w.string("m-1")
      w.array(memberId.isEmpty ? [] : ["m-1"]) { w, member in
        w.string(member)
        w.nullableString(nil)
        w.bytes(metadata)
        w.taggedFields()
      }
      w.taggedFields()
    }
    return (memberId, protocolName)
  }
}

extension ScriptedBroker {
  /// Answers SyncGroup with the assignment its leader sent (a one-member group gets its own
  /// plan back), after `received` is told the generation the request named and that
  /// assignment: a test that logs them has them logged before the member can go on.
  static func answerSyncGroup(
    _ peer: FakeBroker.Peer, _ request: FakeBroker.Peer.Request,
    received: (_ generation: Int32, _ assignment: [UInt8]) -> Void = { _, _ in }
  ) {
    var r = request.body
    _ = try? r.string()
    let generation = (try? r.int32()) ?? -9
    _ = try? r.string()
    _ = try? r.nullableString()
    _ = try? r.nullableString()
    _ = try? r.nullableString()
    _ = try? r.arrayCount()
    _ = try? r.string()
    let assignment = (try? r.bytes()) ?? []
    received(generation, assignment)
    peer.answer(request) { w in
      w.int32(0)
      w.int16(0)
      w.nullableString("consumer")
      w.nullableString("range")
      w.bytes(assignment)
      w.taggedFields()
    }
  }

  /// Answers a request whose response is a throttle time and one error code (Heartbeat,
  /// AddOffsetsToTxn, EndTxn).
  static func answerErrorCode(_ peer: FakeBroker.Peer, _ request: FakeBroker.Peer.Request, _ code: Int16 = 0) {
    peer.answer(request) { w in
      w.int32(0)
      w.int16(code)
      w.taggedFields()
    }
  }

  /// Answers a request whose response lists partition 0 of `topic` with `code` (OffsetCommit,
  /// TxnOffsetCommit, AddPartitionsToTxn).
  static func answerPartitionZero(
    _ peer: FakeBroker.Peer, _ request: FakeBroker.Peer.Request, topic: String, _ code: Int16 = 0
  ) {
    peer.answer(request) { w in
      w.int32(0)
      w.arrayCount(1)
      w.string(topic)
      w.arrayCount(1)
      w.int32(0)
      w.int16(code)
      w.taggedFields()
      w.taggedFields()
      w.taggedFields()
    }
  }

  /// Answers LeaveGroup: no error, no members listed.
  static func answerLeaveGroup(_ peer: FakeBroker.Peer, _ request: FakeBroker.Peer.Request) {
    peer.answer(request) { w in
      w.int32(0)
      w.int16(0)
      w.arrayCount(0)
      w.taggedFields()
    }
  }
}
