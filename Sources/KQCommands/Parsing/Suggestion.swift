/// "Did you mean ...?": the candidates nearest to a mistyped word.
package enum Suggestion {
  /// The candidates at the smallest edit distance from `word`, if that distance is small
  /// enough to be a typo (at most 2, and at most a third of the word), or candidates that
  /// start with `word` when it is at least two characters long. In the candidates' order.
  package static func closest(to word: String, among candidates: [String]) -> [String] {
    let typed = Array(word)
    var best: [String] = []
    var bestDistance = Int.max
    for candidate in candidates {
      let distance = editDistance(typed, Array(candidate))
      if distance < bestDistance {
        best = [candidate]
        bestDistance = distance
      } else if distance == bestDistance && !best.contains(candidate) {
        best.append(candidate)
      }
    }
    let limit = min(2, max(1, typed.count / 3))
    if bestDistance <= limit && bestDistance < typed.count { return best }
    if typed.count >= 2 {
      return candidates.filter { $0.hasPrefix(word) && $0 != word }
    }
    return []
  }

  /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
  /// neighbours each cost 1, so `cosnume` is one step from `consume`.
  package static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
          value = min(value, previous2[j - 2] + 1)
        }
        current[j] = value
      }
      (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
  }
}
