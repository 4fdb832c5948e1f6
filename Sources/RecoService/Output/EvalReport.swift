import Catalog
import Evaluation
import Foundation
import Ranking

/// The evaluation as a table (terminal), CSV and an HTML page with a bar chart.
struct EvalReport {
    let report: BlendEvaluation.Report
    let k: Int

    private func label(_ row: BlendEvaluation.Row) -> String {
        switch row.kind {
        case "image only": "image only"
        case "co-view only": "co-view only (\(row.method?.rawValue ?? "")\(pair(row)))"
        default: String(format: "blend w=%.1f (%@%@)", row.imageWeight, row.method?.rawValue ?? "", pair(row))
        }
    }

    private func pair(_ row: BlendEvaluation.Row) -> String {
        row.pairK > 0 ? String(format: ", pair k %g", row.pairK) : ""
    }

    /// The label precisions of a row, in the report's label order.
    private func precisions(_ row: BlendEvaluation.Row) -> [Double] {
        report.labels.map { row.labelPrecision[$0] ?? .nan }
    }

    private var header: String {
        let f = ISO8601DateFormatter()
        return "model \(report.model); held out from \(f.string(from: report.split)): \(report.heldOutEvents) events, "
            + "\(report.rows.first?.metrics.pairs ?? 0) next-view pairs; co-views from \(report.trainEvents) earlier "
            + "events"
    }

    var text: String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        let columns = ["HitRate@\(k)", "MRR@\(k)", "coverage"] + report.labels.map { "P@\(k) \($0)" }
        var lines = [header, pad("setting", 40) + " " + columns.map { pad($0, 10) }.joined(separator: " ")]
        for row in report.rows {
            let values = String(
                format: " %-10.4f %-10.4f %-10.3f", row.metrics.hitRate, row.metrics.mrr, row.metrics.coverage)
            lines.append(pad(label(row), 40) + values + precisions(row).map { String(format: " %-10.4f", $0) }.joined())
        }
        if let best = report.best { lines.append("best: \(label(best))") }
        if let p = report.categoryPrecision {
            lines.append(String(format: "category precision@%d of image-only neighbours: %.4f", k, p))
        }
        return lines.joined(separator: "\n")
    }

    var csv: String {
        var out =
            "setting,kind,normalisation,w_image,pair_k,hit_rate,mrr,coverage,pairs,queries"
            + report.labels.map { ",precision_\($0)" }.joined() + "\n"
        for row in report.rows {
            let m = row.metrics
            let setting = "\"\(label(row))\",\(row.kind),\(row.method?.rawValue ?? ""),\(row.imageWeight),\(row.pairK)"
            out +=
                "\(setting),\(m.hitRate),\(m.mrr),\(m.coverage),\(m.pairs),\(m.queries)"
                + precisions(row).map { ",\($0)" }.joined() + "\n"
        }
        return out
    }

    /// One horizontal bar per setting (HitRate@k, MRR@k as a thinner bar), inline SVG: no script.
    var html: String {
        let rows = report.rows
        let top = max(rows.map(\.metrics.hitRate).max() ?? 1, 0.0001)
        let barHeight = 18
        let gap = 6
        let left = 260
        let width = 420
        var svg =
            "<svg xmlns='http://www.w3.org/2000/svg' width='\(left + width + 120)' "
            + "height='\(rows.count * (barHeight + gap) + 30)' font-family='sans-serif' font-size='12'>"
        for (i, row) in rows.enumerated() {
            let y = 20 + i * (barHeight + gap)
            let hit = Int(Double(width) * row.metrics.hitRate / top)
            let mrr = Int(Double(width) * row.metrics.mrr / top)
            let colour = row.kind == "image only" ? "#4a7fb5" : row.kind == "co-view only" ? "#c9803a" : "#5a9e5a"
            let best =
                report.best.map {
                    $0.kind == row.kind && $0.method == row.method && $0.imageWeight == row.imageWeight
                        && $0.pairK == row.pairK
                } ?? false
            svg +=
                "<text x='\(left - 8)' y='\(y + 13)' "
                + "text-anchor='end'\(best ? " font-weight='bold'" : "")>\(escape(label(row)))</text>"
            svg += "<rect x='\(left)' y='\(y)' width='\(hit)' height='\(barHeight)' fill='\(colour)'/>"
            svg +=
                "<rect x='\(left)' y='\(y + barHeight / 2 - 2)' width='\(mrr)' height='4' fill='#222' opacity='0.55'/>"
            svg += String(format: "<text x='%d' y='%d'>%.3f</text>", left + hit + 6, y + 13, row.metrics.hitRate)
        }
        svg += "<text x='\(left)' y='12'>HitRate@\(k) (bar), MRR@\(k) (dark line)</text></svg>"
        var table =
            "<table><tr><th>setting</th><th>HitRate@\(k)</th><th>MRR@\(k)</th><th>coverage</th>"
            + report.labels.map { "<th>precision@\(k) \(escape($0))</th>" }.joined() + "</tr>"
        for row in rows {
            table +=
                String(
                    format: "<tr><td>%@</td><td>%.4f</td><td>%.4f</td><td>%.3f</td>", escape(label(row)) as NSString,
                    row.metrics.hitRate, row.metrics.mrr, row.metrics.coverage)
                + precisions(row).map { String(format: "<td>%.4f</td>", $0) }.joined() + "</tr>"
        }
        table += "</table>"
        let precision =
            report.categoryPrecision.map {
                String(format: "<p>Category precision@%d of image-only neighbours: %.4f</p>", k, $0)
            } ?? ""
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>reco eval</title>
            <style>body{font:14px sans-serif;margin:2em}td,th{padding:2px
            10px;text-align:right}td:first-child{text-align:left}</style></head>
            <body><h1>Offline evaluation of the blend</h1><p>\(escape(header))</p>
            <p>Best: <b>\(escape(report.best.map(label) ?? "-"))</b></p>\(precision)\(svg)\(table)</body></html>
            """
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
            of: ">", with: "&gt;")
    }
}
