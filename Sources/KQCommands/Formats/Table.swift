/// A plain text table: upper-case headers, columns padded with two spaces, no colour.
struct Table {
  let headers: [String]
  var rows: [[String]] = []

  init(_ headers: [String]) { self.headers = headers }

  mutating func add(_ row: [String]) { rows.append(row) }

  var rendered: String {
    var widths = headers.map { $0.count }
    for row in rows {
      for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
    }
    func line(_ cells: [String]) -> String {
      var text = ""
      for (index, cell) in cells.enumerated() {
        let isLast = index == cells.count - 1
        text += isLast ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
      }
      return text + "\n"
    }
    return line(headers) + rows.map(line).joined()
  }
}
