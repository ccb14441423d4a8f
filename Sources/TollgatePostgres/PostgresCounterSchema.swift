/// The shared counters' tables and functions (migration 3). Every operation
/// is one function call, so one round trip and one transaction:
///
/// - `tollgate_counter_held(name, reserved)`: what open reservations hold,
///   per counter, across windows (a reservation made before midnight and
///   settled after still holds until then) — the row every reserve and
///   close LOCKS, always in name order, so two operations over the same
///   counters queue instead of deadlocking;
/// - `tollgate_counter_spent(name, window_start, spent)`: settled, per
///   calendar window (window_start 0 for a window of `none`);
/// - `tollgate_counter_seconds(name, second, spent)`: settled, per second,
///   for `minute` counters (the last 60 s are summed; older rows pruned);
/// - `tollgate_counter_reservations`: one row per reservation id (open,
///   settled, released, reclaimed), the ledger of closes that makes a
///   replayed settle count once; closed rows are kept an hour;
/// - `tollgate_counter_replicas(id, seen_ms)`: each gateway's heartbeat;
///   the open reservations of one silent for `reclaim_after` are given
///   back (`tollgate_counter_heartbeat`, one reclaimer at a time).
///
/// Amounts saturate at 2^63-1 like the in-memory store's. Times are the
/// database's clock for heartbeats; windows come from the gateway's.
enum PostgresCounterSchema {
    static let statements: [String] = [
        """
        CREATE TABLE tollgate_counter_held (
            name     TEXT   PRIMARY KEY,
            reserved BIGINT NOT NULL CHECK (reserved >= 0)
        )
        """,
        """
        CREATE TABLE tollgate_counter_spent (
            name         TEXT   NOT NULL,
            window_start BIGINT NOT NULL,
            spent        BIGINT NOT NULL,
            PRIMARY KEY (name, window_start)
        )
        """,
        """
        CREATE TABLE tollgate_counter_seconds (
            name   TEXT   NOT NULL,
            second BIGINT NOT NULL,
            spent  BIGINT NOT NULL,
            PRIMARY KEY (name, second)
        )
        """,
        """
        CREATE TABLE tollgate_counter_replicas (
            id         TEXT   PRIMARY KEY,
            started_ms BIGINT NOT NULL,
            seen_ms    BIGINT NOT NULL
        )
        """,
        // state: 0 open, 1 settled, 2 released, 3 reclaimed.
        """
        CREATE TABLE tollgate_counter_reservations (
            id        TEXT      PRIMARY KEY,
            replica   TEXT      NOT NULL,
            names     TEXT[]    NOT NULL,
            minute    BOOLEAN[] NOT NULL,
            anchors   BIGINT[]  NOT NULL,
            amounts   BIGINT[]  NOT NULL,
            state     SMALLINT  NOT NULL,
            opened_ms BIGINT    NOT NULL,
            closed_ms BIGINT
        )
        """,
        "CREATE INDEX tollgate_counter_reservations_open ON tollgate_counter_reservations (replica) WHERE state = 0",
        "CREATE INDEX tollgate_counter_reservations_closed ON tollgate_counter_reservations (closed_ms) WHERE state <> 0",
        """
        CREATE FUNCTION tollgate_now_ms() RETURNS BIGINT LANGUAGE sql VOLATILE AS $$
            SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT
        $$
        """,
        // Spent now: the window of the anchor, or the 60 s ending at p_now.
        """
        CREATE FUNCTION tollgate_counter_spent_now(p_name TEXT, p_minute BOOLEAN, p_anchor BIGINT, p_now BIGINT)
        RETURNS BIGINT LANGUAGE plpgsql STABLE AS $$
        DECLARE
            v BIGINT;
        BEGIN
            IF p_minute THEN
                SELECT LEAST(COALESCE(sum(spent), 0), 9223372036854775807)::BIGINT INTO v FROM tollgate_counter_seconds
                WHERE name = p_name AND second > p_now - 60 AND second <= p_now;
            ELSE
                SELECT spent INTO v FROM tollgate_counter_spent WHERE name = p_name AND window_start = p_anchor;
            END IF;
            RETURN COALESCE(v, 0);
        END $$
        """,
        // [spent, reserved] of each item, flattened: set-based (one join
        // per table), so refreshing thousands of counters is one cheap
        // statement. PL/pgSQL throughout: its plans are cached per
        // connection, where a SQL function's are made again at each call.
        """
        CREATE FUNCTION tollgate_counter_numbers(p_names TEXT[], p_minute BOOLEAN[], p_anchors BIGINT[], p_now BIGINT)
        RETURNS BIGINT[] LANGUAGE plpgsql STABLE AS $$
        DECLARE
            answer BIGINT[] := '{}';
            h BIGINT;
        BEGIN
            IF cardinality(p_names) <= 32 THEN
                -- A reservation's few counters: one index probe each.
                FOR i IN 1..cardinality(p_names) LOOP
                    SELECT reserved INTO h FROM tollgate_counter_held WHERE name = p_names[i];
                    answer := answer || tollgate_counter_spent_now(p_names[i], p_minute[i], p_anchors[i], p_now) || COALESCE(h, 0);
                END LOOP;
                RETURN answer;
            END IF;
            WITH items AS (
                SELECT * FROM unnest(p_names, p_minute, p_anchors) WITH ORDINALITY AS i(name, minute, anchor, o)),
            minutes AS (
                SELECT c.name, LEAST(sum(c.spent), 9223372036854775807)::BIGINT AS spent
                FROM tollgate_counter_seconds c
                WHERE c.name IN (SELECT name FROM items WHERE minute) AND c.second > p_now - 60 AND c.second <= p_now
                GROUP BY c.name),
            numbers AS (
                SELECT i.o,
                       CASE WHEN i.minute THEN COALESCE(m.spent, 0) ELSE COALESCE(s.spent, 0) END AS spent,
                       COALESCE(h.reserved, 0) AS reserved
                FROM items i
                LEFT JOIN tollgate_counter_spent s ON NOT i.minute AND s.name = i.name AND s.window_start = i.anchor
                LEFT JOIN minutes m ON i.minute AND m.name = i.name
                LEFT JOIN tollgate_counter_held h ON h.name = i.name)
            SELECT COALESCE(array_agg(v ORDER BY o, k), '{}') INTO answer
            FROM numbers CROSS JOIN LATERAL (VALUES (0, spent), (1, reserved)) AS e(k, v);
            RETURN answer;
        END         $$
        """,
        // Answer: [-1, over] || numbers after, or refused:
        // [index, -1, spent, reserved] || [second, amount]* (minute).
        """
        CREATE FUNCTION tollgate_counter_reserve(p_id TEXT, p_replica TEXT, p_names TEXT[], p_minute BOOLEAN[],
                                                 p_anchors BIGINT[], p_amounts BIGINT[], p_limits BIGINT[],
                                                 p_force BOOLEAN, p_now BIGINT)
        RETURNS BIGINT[] LANGUAGE plpgsql AS $$
        DECLARE
            n INT := cardinality(p_names);
            over INT := -1;
            total NUMERIC;
            s BIGINT;
            h BIGINT;
        BEGIN
            INSERT INTO tollgate_counter_held (name, reserved)
                SELECT DISTINCT u, 0 FROM unnest(p_names) AS u ORDER BY 1
                ON CONFLICT (name) DO NOTHING;
            PERFORM 1 FROM tollgate_counter_held WHERE name = ANY (p_names) ORDER BY name FOR UPDATE;
            FOR i IN 1..n LOOP
                CONTINUE WHEN p_limits[i] = 9223372036854775807;
                SELECT COALESCE(sum(a), 0) INTO total FROM unnest(p_names, p_amounts) AS x(nm, a) WHERE nm = p_names[i];
                s := tollgate_counter_spent_now(p_names[i], p_minute[i], p_anchors[i], p_now);
                SELECT reserved INTO h FROM tollgate_counter_held WHERE name = p_names[i];
                IF s::NUMERIC + h + total > p_limits[i] THEN
                    IF NOT p_force THEN
                        RETURN ARRAY[i - 1, -1, s, h]::BIGINT[] || CASE WHEN p_minute[i] THEN
                            (SELECT COALESCE(array_agg(e.v ORDER BY c.second, e.k), '{}') FROM tollgate_counter_seconds c
                             CROSS JOIN LATERAL (VALUES (0, c.second), (1, c.spent)) AS e(k, v)
                             WHERE c.name = p_names[i] AND c.second > p_now - 60 AND c.second <= p_now)
                        ELSE '{}'::BIGINT[] END;
                    END IF;
                    over := i - 1;
                    EXIT;
                END IF;
            END LOOP;
            FOR i IN 1..n LOOP
                UPDATE tollgate_counter_held SET reserved = LEAST(reserved::NUMERIC + p_amounts[i], 9223372036854775807)::BIGINT
                WHERE name = p_names[i];
            END LOOP;
            INSERT INTO tollgate_counter_reservations (id, replica, names, minute, anchors, amounts, state, opened_ms)
                VALUES (p_id, p_replica, p_names, p_minute, p_anchors, p_amounts, 0, tollgate_now_ms());
            RETURN ARRAY[-1, over]::BIGINT[] || tollgate_counter_numbers(p_names, p_minute, p_anchors, p_now);
        END $$
        """,
        // Settle (p_actual) or release (NULL). Answer: [1] when the id was
        // already closed, else [0] || numbers after. An id never seen (or
        // reclaimed) adds its spent without touching `reserved`.
        """
        CREATE FUNCTION tollgate_counter_close(p_id TEXT, p_replica TEXT, p_names TEXT[], p_minute BOOLEAN[],
                                               p_anchors BIGINT[], p_amounts BIGINT[], p_actual BIGINT[], p_now BIGINT)
        RETURNS BIGINT[] LANGUAGE plpgsql AS $$
        DECLARE
            n INT := cardinality(p_names);
            st SMALLINT;
            closing SMALLINT := CASE WHEN p_actual IS NULL THEN 2 ELSE 1 END;
        BEGIN
            SELECT state INTO st FROM tollgate_counter_reservations WHERE id = p_id FOR UPDATE;
            IF NOT FOUND THEN
                INSERT INTO tollgate_counter_reservations (id, replica, names, minute, anchors, amounts, state, opened_ms, closed_ms)
                    VALUES (p_id, p_replica, p_names, p_minute, p_anchors, p_amounts, closing, tollgate_now_ms(), tollgate_now_ms())
                    ON CONFLICT (id) DO NOTHING;
                IF NOT FOUND THEN RETURN ARRAY[1]::BIGINT[]; END IF;
                st := 3;
            ELSIF st IN (1, 2) THEN
                RETURN ARRAY[1]::BIGINT[];
            END IF;
            PERFORM 1 FROM tollgate_counter_held WHERE name = ANY (p_names) ORDER BY name FOR UPDATE;
            IF st = 0 THEN
                FOR i IN 1..n LOOP
                    UPDATE tollgate_counter_held SET reserved = GREATEST(0, reserved - p_amounts[i]) WHERE name = p_names[i];
                END LOOP;
            END IF;
            IF p_actual IS NOT NULL THEN
                FOR i IN 1..n LOOP
                    CONTINUE WHEN p_actual[i] = 0;
                    IF p_minute[i] THEN
                        INSERT INTO tollgate_counter_seconds AS c (name, second, spent) VALUES (p_names[i], p_anchors[i], p_actual[i])
                        ON CONFLICT (name, second) DO UPDATE
                            SET spent = LEAST(c.spent::NUMERIC + EXCLUDED.spent, 9223372036854775807)::BIGINT;
                    ELSE
                        INSERT INTO tollgate_counter_spent AS c (name, window_start, spent) VALUES (p_names[i], p_anchors[i], p_actual[i])
                        ON CONFLICT (name, window_start) DO UPDATE
                            SET spent = LEAST(c.spent::NUMERIC + EXCLUDED.spent, 9223372036854775807)::BIGINT;
                    END IF;
                END LOOP;
            END IF;
            UPDATE tollgate_counter_reservations SET state = closing, closed_ms = tollgate_now_ms() WHERE id = p_id;
            RETURN ARRAY[0]::BIGINT[] || tollgate_counter_numbers(p_names, p_minute, p_anchors, p_now);
        END $$
        """,
        // The gateway's heartbeat; then, by one gateway at a time, the
        // silent gateways' open reservations given back and old rows pruned.
        """
        CREATE FUNCTION tollgate_counter_heartbeat(p_replica TEXT, p_reclaim_after_ms BIGINT, p_keep_closed_ms BIGINT)
        RETURNS INT LANGUAGE plpgsql AS $$
        DECLARE
            now_ms BIGINT := tollgate_now_ms();
            v_names TEXT[];
            v_totals BIGINT[];
            v_count INT;
        BEGIN
            INSERT INTO tollgate_counter_replicas AS r (id, started_ms, seen_ms) VALUES (p_replica, now_ms, now_ms)
                ON CONFLICT (id) DO UPDATE SET seen_ms = EXCLUDED.seen_ms;
            IF NOT pg_try_advisory_xact_lock(7738712374628473) THEN RETURN 0; END IF;
            WITH dead AS (
                UPDATE tollgate_counter_reservations r SET state = 3, closed_ms = now_ms
                WHERE r.state = 0 AND r.replica IN
                    (SELECT id FROM tollgate_counter_replicas WHERE seen_ms < now_ms - p_reclaim_after_ms)
                RETURNING r.names, r.amounts),
            items AS (SELECT u.name, u.amount FROM dead CROSS JOIN LATERAL unnest(dead.names, dead.amounts) AS u(name, amount)),
            sums AS (SELECT name, LEAST(sum(amount), 9223372036854775807)::BIGINT AS total FROM items GROUP BY name)
            SELECT array_agg(name ORDER BY name), array_agg(total ORDER BY name), (SELECT count(*) FROM dead)
                INTO v_names, v_totals, v_count FROM sums;
            IF v_names IS NOT NULL THEN
                FOR i IN 1..cardinality(v_names) LOOP
                    UPDATE tollgate_counter_held SET reserved = GREATEST(0, reserved - v_totals[i]) WHERE name = v_names[i];
                END LOOP;
            END IF;
            DELETE FROM tollgate_counter_reservations WHERE state <> 0 AND closed_ms < now_ms - p_keep_closed_ms;
            DELETE FROM tollgate_counter_seconds WHERE second < now_ms / 1000 - 120;
            DELETE FROM tollgate_counter_replicas r WHERE seen_ms < now_ms - 86400000
                AND NOT EXISTS (SELECT 1 FROM tollgate_counter_reservations o WHERE o.replica = r.id AND o.state = 0);
            RETURN COALESCE(v_count, 0);
        END $$
        """,
    ]
}
