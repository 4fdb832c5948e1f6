import Foundation
import Testing

@testable import Catalog

@Suite(.needsDatabase, .dropsDatabases) struct PostgresTests {
    @Test func valuesRoundTripInBinary() throws {
        let c = try PGConnection(url: TestDatabase.makeEmpty())
        let when = Date(timeIntervalSince1970: 1_764_000_000.123456)
        let row = try #require(
            try c.query(
                "SELECT $1::bool AS b, $2::int4 AS i, $3::int8 AS l, $4::float8 AS d, $5::text AS t, $6::bytea AS y, "
                    + "$7::timestamptz AS ts, $8::jsonb AS j, NULL::text AS n",
                [
                    .bool(true), .int32(-7), .int64(1 << 40), .float64(-0.1), .text("grüße \"quoted\" 'x'"),
                    .bytea([0, 255, 1]), .timestamp(when), .jsonb("{\"a\": [1, 2]}"),
                ]
            ).first)
        #expect(try row.bool("b") == true)
        #expect(try row.int("i") == -7)
        #expect(try row.int("l") == 1 << 40)
        #expect(try row.double("d") == -0.1)
        #expect(try row.string("t") == "grüße \"quoted\" 'x'")
        #expect(try row.bytes("y") == [0, 255, 1])
        #expect(abs(try row.date("ts").timeIntervalSince(when)) < 1e-6)
        #expect(try row.string("j") == "{\"a\": [1, 2]}")
        #expect(row["n"].isNull)
    }

    @Test func textArraysRoundTripInBinary() throws {
        let c = try PGConnection(url: TestDatabase.makeEmpty())
        let items = ["a", "grüße", "", "with,comma {brace}"]
        let row = try #require(
            try c.query(
                "SELECT $1::text[] AS a, $2::text[] AS e, cardinality($1::text[]) AS n",
                [.textArray(items), .textArray([])]
            ).first)
        #expect(try row.strings("a") == items)
        #expect(try row.strings("e") == [])
        #expect(try row.int("n") == 4)
    }

    @Test func parametersAreNeverSpliced() throws {
        let c = try PGConnection(url: TestDatabase.makeEmpty())
        try c.execute("CREATE TABLE t (s text)")
        let hostile = "x'); DROP TABLE t; --"
        try c.execute("INSERT INTO t VALUES ($1)", [.text(hostile)], prepare: true)
        #expect(try c.query("SELECT s FROM t").map { try $0.string("s") } == [hostile])
    }

    @Test func errorsCarrySQLState() throws {
        let c = try PGConnection(url: TestDatabase.makeEmpty())
        try c.execute("CREATE TABLE t (id int PRIMARY KEY)")
        try c.execute("INSERT INTO t VALUES (1)")
        do {
            try c.execute("INSERT INTO t VALUES (1)")
            Issue.record("duplicate key accepted")
        } catch let e as PostgresError {
            #expect(e.sqlState == "23505" && e.isUniqueViolation && e.kind == .query)
        }
        #expect(throws: PostgresError.self) { try c.execute("SELEC 1") }
        // The connection is still usable after errors.
        #expect(try c.query("SELECT 2 AS x").first?.int("x") == 2)
    }

    @Test func transactionsRollBackOnError() throws {
        let c = try PGConnection(url: TestDatabase.makeEmpty())
        try c.execute("CREATE TABLE t (id int PRIMARY KEY)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try c.transaction {
                try c.execute("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        try c.transaction { try c.execute("INSERT INTO t VALUES (2)") }
        #expect(try c.query("SELECT id FROM t").map { try $0.int("id") } == [2])
    }

    @Test func binaryCopyWritesVectorsBitIdentical() throws {
        let c = try PGConnection(url: TestDatabase.makeEmpty())
        try c.execute("CREATE TABLE v (id text, vec bytea, n int8, at timestamptz, note text)")
        let vectors: [[Float]] = (0..<500).map { i in (0..<1280).map { Float(sin(Double(i * 1280 + $0))) } }
        let rows: [[PGValue]] = vectors.enumerated().map { i, v in
            [
                .text("item\(i)"), .bytea(VectorCodec.encode(v)), .int64(Int64(i)), .timestamp(Date()),
                i % 2 == 0 ? .null : .text("odd"),
            ]
        }
        try c.copyIn(table: "v", columns: ["id", "vec", "n", "at", "note"], rows: rows)
        let back = try c.query("SELECT id, vec, n, note FROM v ORDER BY n")
        #expect(back.count == 500)
        for (i, row) in back.enumerated() {
            #expect(try VectorCodec.decode(row.bytes("vec")) == vectors[i])
            #expect(try row.optionalString("note") == (i % 2 == 0 ? nil : "odd"))
        }
    }

    @Test func binaryCopyOutStreamsEveryRow() throws {
        let c = try PGConnection(url: TestDatabase.makeEmpty())
        try c.execute("CREATE TABLE v (id text, vec bytea, n int8, at timestamptz, note text)")
        let when = Date(timeIntervalSince1970: 1_764_000_000.5)
        let rows: [[PGValue]] = (0..<20_000).map { i in
            [
                .text("item\(i)"), .bytea(VectorCodec.encode([Float(i), -1.5])), .int64(Int64(i)), .timestamp(when),
                i % 3 == 0 ? .null : .text("x"),
            ]
        }
        try c.copyIn(table: "v", columns: ["id", "vec", "n", "at", "note"], rows: rows)
        var seen = 0
        try c.copyOut(
            "SELECT id, vec, n, at, note FROM v ORDER BY n", columns: [.text, .bytea, .int8, .timestamptz, .text]
        ) { row in
            #expect(row[0] == .text("item\(seen)") && row[2] == .int64(Int64(seen)))
            #expect((try? VectorCodec.decode(row.bytes(1))) == [Float(seen), -1.5])
            #expect(row[3] == .timestamp(when) && row[4] == (seen % 3 == 0 ? .null : .text("x")))
            seen += 1
        }
        #expect(seen == 20_000)
        // A failing body stops the stream with its error; the connection stays usable.
        struct Stop: Error {}
        #expect(throws: Stop.self) { try c.copyOut("SELECT n FROM v", columns: [.int8]) { _ in throw Stop() } }
        #expect(try c.query("SELECT count(*) AS n FROM v").first?.int("n") == 20_000)
        #expect(throws: PostgresError.self) { try c.copyOut("SELECT nope FROM v", columns: [.int8]) { _ in } }
    }

    @Test func poolReconnectsAfterTheConnectionIsKilled() throws {
        let db = Database(url: try TestDatabase.makeEmpty())
        let pid = try db.withConnection { try $0.query("SELECT pg_backend_pid() AS p").first!.int("p") }
        // Kill that backend from another connection, as a server restart would.
        try PGConnection(url: db.url).query("SELECT pg_terminate_backend($1)", [.int32(Int32(pid))])
        let again = try db.withConnection(retryOnConnectionLoss: true) {
            try $0.query("SELECT pg_backend_pid() AS p").first!.int("p")
        }
        #expect(again != pid)
    }

    @Test func aDeadServerIsAConnectionError() {
        do {
            _ = try PGConnection(url: "postgresql://reco@127.0.0.1:1/reco?connect_timeout=2")
            Issue.record("connected to nothing")
        } catch let e as PostgresError {
            #expect(e.kind == .connection && e.isConnectionLoss)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
