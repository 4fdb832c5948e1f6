import Foundation
import Ranking

/// The co-view statements. PostgreSQL does the counting: distinct items per session, session
/// weights and the bot cut, the self-join into pairs, GROUP BY, scoring and top-M. Stage tables
/// (`coview_stage_*`) are unlogged and built with CREATE TABLE AS, which parallel workers can run.
/// Numbers travel as parameters, never as SQL text.
enum CoViewSQL {
    static let epoch = CoViewConfig.weightEpoch

    /// An event is counted only when its ids fit an index row and its time is in the window ingest
    /// accepts (judged against when it was received, so every run agrees about a row). Anything else
    /// would poison the arithmetic (a year-99999 view outweighs every other session) and is skipped.
    static let countable = """
        octet_length(v.session_id) <= \(Identifier.maxBytes) AND octet_length(v.item_id) <= \(Identifier.maxBytes)
        AND v.viewed_at >= '2000-01-01 00:00:00+00' AND v.viewed_at <= v.received_at + interval '1 day'
        """

    /// A session's weight from its last view ($epoch, $halfLife seconds as parameters).
    static func weight(_ last: String, epoch: Int, halfLife: Int) -> String {
        "power(2::float8, extract(epoch FROM \(last) - $\(epoch)::timestamptz)::float8 / $\(halfLife)::float8)"
    }

    static let stageTables = [
        "coview_stage_si", "coview_stage_sessions", "coview_stage_members", "coview_stage_pairs", "coview_stage_items",
        "coview_stage_lengths", "coview_stage_neighbours", "coview_stage_touched", "coview_stage_dsi",
        "coview_stage_dsessions", "coview_stage_dmembers", "coview_stage_dpairs", "coview_stage_ditems",
        "coview_stage_dlengths", "coview_stage_relist",
    ]

    // MARK: - Full count

    /// Distinct (session, item) with the item's last view in the session and its number of views,
    /// from events up to $1. Unusable events are grouped apart (`ok` false) rather than filtered
    /// out, so the same pass counts them.
    static let sessionItems = """
        CREATE UNLOGGED TABLE coview_stage_si AS
        SELECT v.session_id, v.item_id, (\(countable)) AS ok, max(v.viewed_at) AS last, count(*)::integer AS views
        FROM view_events v WHERE v.id <= $1
        GROUP BY v.session_id, v.item_id, 3
        """

    /// Keys for items not seen before (only those: a conflict would still use up a sequence value).
    static func newKeys(from table: String, where condition: String = "true") -> String {
        """
        INSERT INTO item_keys (item_id)
        SELECT DISTINCT s.item_id FROM \(table) s
        WHERE \(condition) AND NOT EXISTS (SELECT 1 FROM item_keys k WHERE k.item_id = s.item_id)
        ON CONFLICT (item_id) DO NOTHING
        """
    }

    /// Per session: a dense number, its distinct items, its weight ($1 epoch, $2 half-life), and
    /// its events counted and skipped.
    static let sessions = """
        CREATE UNLOGGED TABLE coview_stage_sessions AS
        SELECT (row_number() OVER ())::integer AS sid, session_id, count(*) FILTER (WHERE ok)::integer AS n,
               \(weight("max(last) FILTER (WHERE ok)", epoch: 1, halfLife: 2)) AS w,
               coalesce(sum(views) FILTER (WHERE ok), 0) AS counted, coalesce(sum(views) FILTER (WHERE NOT ok), 0) AS
               skipped
        FROM coview_stage_si GROUP BY session_id
        """

    /// The counted (not bot: at most $1 items) sessions' items, by key.
    static let members = """
        CREATE UNLOGGED TABLE coview_stage_members AS
        SELECT s.sid, k.key AS item, s.n, s.w
        FROM coview_stage_si si JOIN coview_stage_sessions s USING (session_id) JOIN item_keys k ON k.item_id =
        si.item_id
        WHERE si.ok AND s.n <= $1
        """

    static let pairs = """
        CREATE UNLOGGED TABLE coview_stage_pairs AS
        SELECT a.item AS item_a, b.item AS item_b, sum(a.w) AS weight, count(*)::integer AS sessions
        FROM coview_stage_members a JOIN coview_stage_members b ON b.sid = a.sid AND b.item > a.item
        WHERE a.n >= 2
        GROUP BY a.item, b.item
        """

    static let items = """
        CREATE TABLE coview_stage_items AS
        SELECT item, sum(w) AS weight, count(*)::integer AS sessions FROM coview_stage_members GROUP BY item
        """

    static let lengths = """
        CREATE UNLOGGED TABLE coview_stage_lengths AS
        SELECT item, n AS length, sum(w) AS weight FROM coview_stage_members GROUP BY item, n
        """

    /// Weighted sessions, weighted item views and bot sessions ($1 = the bot cut); events counted
    /// and skipped.
    static let totals = """
        SELECT coalesce(sum(w) FILTER (WHERE n BETWEEN 1 AND $1), 0) AS sessions,
               coalesce(sum(w * n) FILTER (WHERE n BETWEEN 1 AND $1), 0) AS views,
               count(*) FILTER (WHERE n > $1) AS bots, coalesce(sum(counted), 0)::bigint AS events,
               coalesce(sum(skipped), 0)::bigint AS skipped
        FROM coview_stage_sessions
        """

    /// Gives a stage table its primary key, named so that `swapIn` can carry it over.
    static func primaryKey(_ stage: String, _ columns: String) -> String {
        "ALTER TABLE coview_stage_\(stage) ADD CONSTRAINT coview_stage_\(stage)_pkey PRIMARY KEY (\(columns))"
    }

    /// Statements that replace a served table with its stage table (inside the swapping transaction).
    static func swapIn(stage: String, served: String) -> [String] {
        [
            "DROP TABLE coview_\(served)", "ALTER TABLE coview_stage_\(stage) RENAME TO coview_\(served)",
            "ALTER INDEX coview_stage_\(stage)_pkey RENAME TO coview_\(served)_pkey",
        ]
    }

    // MARK: - Scores and lists

    /// `coview_stage_neighbours`: the lists (see `lists`) as a table.
    static func stageLists(_ method: CoViewMethod, pairs: String, items: String, lengths: String, only: String?)
        -> String
    {
        "CREATE TABLE coview_stage_neighbours AS "
            + lists(method, pairs: pairs, items: items, lengths: lengths, only: only)
    }

    /// Each item's top-M neighbours from pairs with enough support, scored at the time the decay
    /// factor $1 describes. $2 weighted sessions, $3 weighted views, $4 minimum support, $5 top M,
    /// $6 lift shrinkage. Ties go to the smaller item id.
    /// - only: a table of the items whose lists are wanted (nil: all).
    static func lists(_ method: CoViewMethod, pairs: String, items: String, lengths: String, only: String?) -> String {
        let side = { (column: String) in only.map { " AND p.\(column) IN (SELECT item FROM \($0))" } ?? "" }
        let cab = "(d.weight * $1)"
        let ca = "(ia.weight * $1)"
        let cb = "(ib.weight * $1)"
        let score: String
        var expected = ""
        switch method {
        case .cosine: score = "\(cab) / sqrt(\(ca) * \(cb))"
        case .jaccard: score = "\(cab) / (\(ca) + \(cb) - \(cab))"
        case .liftShrunk: score = "(\(cab) * ($2 * $1) / (\(ca) * \(cb))) * \(cab) / (\(cab) + $6)"
        case .expected:
            // E_ab = Σ over a's session lengths l of w_l · (1 − (1 − p_b)^(l − 1)), p_b = c_b / views.
            expected = """
                LEFT JOIN LATERAL (
                    SELECT sum(l.weight * $1 * (1 - power(1 - ib.weight / $3, l.length - 1))) AS e
                    FROM \(lengths) l WHERE l.item = d.item
                ) x ON $3 > 0
                """
            score = "CASE WHEN x.e > 0 THEN (\(cab) - x.e) / sqrt(x.e) ELSE 0 END"
        }
        return """
            WITH directed AS (
                SELECT p.item_a AS item, p.item_b AS neighbour, p.weight, p.sessions
                FROM \(pairs) p WHERE p.sessions >= $4\(side("item_a"))
                UNION ALL
                SELECT p.item_b, p.item_a, p.weight, p.sessions
                FROM \(pairs) p WHERE p.sessions >= $4\(side("item_b"))
            ), scored AS (
                SELECT d.item, d.neighbour, d.sessions,
                       CASE WHEN d.weight > 0 AND ia.weight > 0 AND ib.weight > 0 THEN \(score) ELSE 0 END AS score
                FROM directed d JOIN \(items) ia ON ia.item = d.item JOIN \(items) ib ON ib.item = d.neighbour
                \(expected)
            ), ranked AS (
                SELECT s.item, s.neighbour, s.score, s.sessions,
                       row_number() OVER (PARTITION BY s.item ORDER BY s.score DESC, k.item_id) AS rank
                FROM scored s JOIN item_keys k ON k.key = s.neighbour
            )
            SELECT item, rank::integer AS rank, neighbour, score, sessions FROM ranked WHERE rank <= $5
            """
    }

    // MARK: - Incremental update

    /// Sessions with events in (watermark $1, through $2].
    static let touched = """
        CREATE UNLOGGED TABLE coview_stage_touched AS
        SELECT DISTINCT v.session_id FROM view_events v WHERE v.id > $1 AND v.id <= $2 AND \(countable)
        """

    /// The touched sessions' items as counted before ($1 watermark) and as they are now ($2).
    static let deltaSessionItems = """
        CREATE UNLOGGED TABLE coview_stage_dsi AS
        SELECT v.session_id, v.item_id, max(v.viewed_at) AS last_new, max(v.viewed_at) FILTER (WHERE v.id <= $1) AS
        last_old
        FROM view_events v JOIN coview_stage_touched t USING (session_id)
        WHERE v.id <= $2 AND \(countable)
        GROUP BY v.session_id, v.item_id
        """

    /// Each touched session before and after ($1 epoch, $2 half-life).
    static let deltaSessions = """
        CREATE UNLOGGED TABLE coview_stage_dsessions AS
        SELECT (row_number() OVER ())::integer AS sid, session_id,
               count(last_old)::integer AS n_old, count(*)::integer AS n_new,
               \(weight("max(last_old)", epoch: 1, halfLife: 2)) AS w_old,
               \(weight("max(last_new)", epoch: 1, halfLife: 2)) AS w_new
        FROM coview_stage_dsi GROUP BY session_id
        """

    /// Signed members: each touched session out as it was counted, in as it is now ($1 = the bot cut).
    static let deltaMembers = """
        CREATE UNLOGGED TABLE coview_stage_dmembers AS
        SELECT s.sid, -1 AS sign, k.key AS item, s.n_old AS n, -s.w_old AS w
        FROM coview_stage_dsi si JOIN coview_stage_dsessions s USING (session_id) JOIN item_keys k ON k.item_id =
        si.item_id
        WHERE si.last_old IS NOT NULL AND s.n_old <= $1
        UNION ALL
        SELECT s.sid, 1, k.key, s.n_new, s.w_new
        FROM coview_stage_dsi si JOIN coview_stage_dsessions s USING (session_id) JOIN item_keys k ON k.item_id =
        si.item_id
        WHERE s.n_new <= $1
        """

    static let deltaPairs = """
        CREATE UNLOGGED TABLE coview_stage_dpairs AS
        SELECT a.item AS item_a, b.item AS item_b, sum(a.w) AS weight, sum(a.sign)::integer AS sessions
        FROM coview_stage_dmembers a JOIN coview_stage_dmembers b ON b.sid = a.sid AND b.sign = a.sign AND b.item >
        a.item
        WHERE a.n >= 2
        GROUP BY a.item, b.item
        """

    static let deltaItems = """
        CREATE UNLOGGED TABLE coview_stage_ditems AS
        SELECT item, sum(w) AS weight, sum(sign)::integer AS sessions FROM coview_stage_dmembers GROUP BY item
        """

    static let deltaLengths = """
        CREATE UNLOGGED TABLE coview_stage_dlengths AS
        SELECT item, n AS length, sum(w) AS weight FROM coview_stage_dmembers GROUP BY item, n
        """

    /// Changes of the totals ($1 = the bot cut): a session leaves the count as it was, enters as it is.
    static let deltaTotals = """
        SELECT coalesce(sum(w_new) FILTER (WHERE n_new <= $1), 0) - coalesce(sum(w_old) FILTER (WHERE n_old BETWEEN 1
        AND $1), 0)
                   AS sessions,
               coalesce(sum(w_new * n_new) FILTER (WHERE n_new <= $1), 0)
                   - coalesce(sum(w_old * n_old) FILTER (WHERE n_old BETWEEN 1 AND $1), 0) AS views,
               count(*) FILTER (WHERE n_new > $1) - count(*) FILTER (WHERE n_old > $1) AS bots
        FROM coview_stage_dsessions
        """

    /// Sorted by key, the upsert walks the pair index in order instead of jumping around it; only
    /// pairs and items that lost sessions can reach zero and be deleted.
    static let applyDeltas = [
        """
        INSERT INTO coview_pairs AS p SELECT item_a, item_b, weight, sessions FROM coview_stage_dpairs ORDER BY item_a,
        item_b
        ON CONFLICT (item_a, item_b) DO UPDATE SET weight = p.weight + EXCLUDED.weight, sessions = p.sessions +
        EXCLUDED.sessions
        """,
        """
        DELETE FROM coview_pairs p USING coview_stage_dpairs d
        WHERE d.sessions < 0 AND p.item_a = d.item_a AND p.item_b = d.item_b AND p.sessions <= 0
        """,
        """
        INSERT INTO coview_items AS i SELECT item, weight, sessions FROM coview_stage_ditems
        ON CONFLICT (item) DO UPDATE SET weight = i.weight + EXCLUDED.weight, sessions = i.sessions + EXCLUDED.sessions
        """,
        "DELETE FROM coview_items i USING coview_stage_ditems d WHERE d.sessions < 0 AND i.item = d.item AND "
            + "i.sessions <= 0",
        """
        INSERT INTO coview_item_lengths AS l SELECT item, length, weight FROM coview_stage_dlengths
        ON CONFLICT (item, length) DO UPDATE SET weight = l.weight + EXCLUDED.weight
        """,
    ]

    /// The lists an update must recompute: items whose counts changed, and their partners (whose
    /// scores move with the changed items' counts), through pairs with enough support ($1).
    static let relist = """
        CREATE UNLOGGED TABLE coview_stage_relist AS
        SELECT item FROM coview_stage_ditems
        UNION SELECT p.item_b FROM coview_pairs p JOIN coview_stage_ditems d ON p.item_a = d.item WHERE p.sessions >= $1
        UNION SELECT p.item_a FROM coview_pairs p JOIN coview_stage_ditems d ON p.item_b = d.item WHERE p.sessions >= $1
        """
}
