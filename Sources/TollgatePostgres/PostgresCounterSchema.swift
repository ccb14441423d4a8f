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
        // Spent now of each item, in item order: its calendar window's row,
        // or the sum of its last 60 one-second rows. One statement. Every
        // function is PL/pgSQL: its plans are cached per connection, where
        // a SQL function's are made again at each call; and each does its
        // work in a handful of set-based statements (a statement's start-up
        // is most of a small one's cost).
        """
        CREATE FUNCTION tollgate_counter_spent_of(p_names TEXT[], p_minute BOOLEAN[], p_anchors BIGINT[], p_now BIGINT)
        RETURNS BIGINT[] LANGUAGE plpgsql STABLE AS $$
        DECLARE
            answer BIGINT[];
        BEGIN
            SELECT COALESCE(array_agg(COALESCE(CASE WHEN i.minute THEN m.spent ELSE s.spent END, 0) ORDER BY i.o), '{}')
            INTO answer
            FROM unnest(p_names, p_minute, p_anchors) WITH ORDINALITY AS i(name, minute, anchor, o)
            LEFT JOIN tollgate_counter_spent s ON NOT i.minute AND s.name = i.name AND s.window_start = i.anchor
            LEFT JOIN LATERAL (
                SELECT LEAST(COALESCE(sum(c.spent), 0), 9223372036854775807)::BIGINT AS spent FROM tollgate_counter_seconds c
                WHERE i.minute AND c.name = i.name AND c.second > p_now - 60 AND c.second <= p_now) m ON true;
            RETURN answer;
        END $$
        """,
        // [spent, reserved] of each item, flattened (the refresh: any
        // number of counters, two statements).
        """
        CREATE FUNCTION tollgate_counter_numbers(p_names TEXT[], p_minute BOOLEAN[], p_anchors BIGINT[], p_now BIGINT)
        RETURNS BIGINT[] LANGUAGE plpgsql STABLE AS $$
        DECLARE
            spent BIGINT[] := tollgate_counter_spent_of(p_names, p_minute, p_anchors, p_now);
            held BIGINT[];
            answer BIGINT[] := '{}';
        BEGIN
            SELECT COALESCE(array_agg(COALESCE(h.reserved, 0) ORDER BY i.o), '{}') INTO held
            FROM unnest(p_names) WITH ORDINALITY AS i(name, o)
            LEFT JOIN tollgate_counter_held h ON h.name = i.name;
            FOR i IN 1..cardinality(p_names) LOOP
                answer := answer || spent[i] || held[i];
            END LOOP;
            RETURN answer;
        END $$
        """,
        // Answer: [-1, over] || [spent, reserved] of each item after, or
        // refused: [index, -1, spent, reserved] || [second, amount]* (minute).
        """
        CREATE FUNCTION tollgate_counter_reserve(p_id TEXT, p_replica TEXT, p_names TEXT[], p_minute BOOLEAN[],
                                                 p_anchors BIGINT[], p_amounts BIGINT[], p_limits BIGINT[],
                                                 p_force BOOLEAN, p_now BIGINT)
        RETURNS BIGINT[] LANGUAGE plpgsql AS $$
        DECLARE
            n INT := cardinality(p_names);
            over INT := -1;
            locked TEXT[];
            held BIGINT[];
            spent BIGINT[];
            totals NUMERIC[] := '{}';
            k INT;
            answer BIGINT[];
        BEGIN
            INSERT INTO tollgate_counter_held (name, reserved)
                SELECT DISTINCT u, 0 FROM unnest(p_names) AS u ORDER BY 1
                ON CONFLICT (name) DO NOTHING;
            -- The lock, in name order, and what each counter holds now.
            SELECT array_agg(l.name ORDER BY l.name), array_agg(l.reserved ORDER BY l.name) INTO locked, held
            FROM (SELECT name, reserved FROM tollgate_counter_held WHERE name = ANY (p_names) ORDER BY name FOR UPDATE) l;
            spent := tollgate_counter_spent_of(p_names, p_minute, p_anchors, p_now);
            -- What the reservation asks of each item's counter in all.
            FOR i IN 1..n LOOP
                totals[i] := 0;
                FOR j IN 1..n LOOP
                    IF p_names[j] = p_names[i] THEN totals[i] := totals[i] + p_amounts[j]; END IF;
                END LOOP;
            END LOOP;
            FOR i IN 1..n LOOP
                CONTINUE WHEN p_limits[i] = 9223372036854775807;
                k := array_position(locked, p_names[i]);
                IF spent[i]::NUMERIC + held[k] + totals[i] > p_limits[i] THEN
                    IF NOT p_force THEN
                        RETURN ARRAY[i - 1, -1, spent[i], held[k]]::BIGINT[] || CASE WHEN p_minute[i] THEN
                            (SELECT COALESCE(array_agg(e.v ORDER BY c.second, e.k), '{}') FROM tollgate_counter_seconds c
                             CROSS JOIN LATERAL (VALUES (0, c.second), (1, c.spent)) AS e(k, v)
                             WHERE c.name = p_names[i] AND c.second > p_now - 60 AND c.second <= p_now)
                        ELSE '{}'::BIGINT[] END;
                    END IF;
                    over := i - 1;
                    EXIT;
                END IF;
            END LOOP;
            UPDATE tollgate_counter_held h SET reserved = LEAST(h.reserved::NUMERIC + x.total, 9223372036854775807)::BIGINT
            FROM (SELECT u.name, sum(u.amount) AS total FROM unnest(p_names, p_amounts) AS u(name, amount) GROUP BY u.name) x
            WHERE h.name = x.name;
            INSERT INTO tollgate_counter_reservations (id, replica, names, minute, anchors, amounts, state, opened_ms)
                VALUES (p_id, p_replica, p_names, p_minute, p_anchors, p_amounts, 0, tollgate_now_ms());
            answer := ARRAY[-1, over]::BIGINT[];
            FOR i IN 1..n LOOP
                k := array_position(locked, p_names[i]);
                answer := answer || spent[i] || LEAST(held[k]::NUMERIC + totals[i], 9223372036854775807)::BIGINT;
            END LOOP;
            RETURN answer;
        END $$
        """,
        // Settle (p_actual) or release (NULL). Answer: [1] when the id was
        // already closed, else [0] || [spent, reserved] of each item after.
        // An id never seen (or reclaimed) adds its spent without touching
        // `reserved`.
        """
        CREATE FUNCTION tollgate_counter_close(p_id TEXT, p_replica TEXT, p_names TEXT[], p_minute BOOLEAN[],
                                               p_anchors BIGINT[], p_amounts BIGINT[], p_actual BIGINT[], p_now BIGINT)
        RETURNS BIGINT[] LANGUAGE plpgsql AS $$
        DECLARE
            n INT := cardinality(p_names);
            st SMALLINT;
            closing SMALLINT := CASE WHEN p_actual IS NULL THEN 2 ELSE 1 END;
            locked TEXT[];
            held BIGINT[];
            spent BIGINT[];
            answer BIGINT[] := ARRAY[0]::BIGINT[];
            k INT;
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
            ELSE
                UPDATE tollgate_counter_reservations SET state = closing, closed_ms = tollgate_now_ms() WHERE id = p_id;
            END IF;
            -- The same lock, in the same order, as a reserve takes.
            PERFORM 1 FROM tollgate_counter_held WHERE name = ANY (p_names) ORDER BY name FOR UPDATE;
            IF st = 0 THEN
                UPDATE tollgate_counter_held h SET reserved = GREATEST(0, h.reserved - x.total)
                FROM (SELECT u.name, LEAST(sum(u.amount), 9223372036854775807)::BIGINT AS total
                      FROM unnest(p_names, p_amounts) AS u(name, amount) GROUP BY u.name) x
                WHERE h.name = x.name;
            END IF;
            IF p_actual IS NOT NULL THEN
                INSERT INTO tollgate_counter_spent AS c (name, window_start, spent)
                    SELECT u.name, u.anchor, LEAST(sum(u.a), 9223372036854775807)::BIGINT
                    FROM unnest(p_names, p_minute, p_anchors, p_actual) AS u(name, minute, anchor, a)
                    WHERE NOT u.minute AND u.a > 0 GROUP BY u.name, u.anchor ORDER BY u.name
                    ON CONFLICT (name, window_start) DO UPDATE
                        SET spent = LEAST(c.spent::NUMERIC + EXCLUDED.spent, 9223372036854775807)::BIGINT;
                IF true = ANY (p_minute) THEN
                    INSERT INTO tollgate_counter_seconds AS c (name, second, spent)
                        SELECT u.name, u.anchor, LEAST(sum(u.a), 9223372036854775807)::BIGINT
                        FROM unnest(p_names, p_minute, p_anchors, p_actual) AS u(name, minute, anchor, a)
                        WHERE u.minute AND u.a > 0 GROUP BY u.name, u.anchor ORDER BY u.name
                        ON CONFLICT (name, second) DO UPDATE
                            SET spent = LEAST(c.spent::NUMERIC + EXCLUDED.spent, 9223372036854775807)::BIGINT;
                END IF;
            END IF;
            SELECT array_agg(name ORDER BY name), array_agg(reserved ORDER BY name) INTO locked, held
            FROM tollgate_counter_held WHERE name = ANY (p_names);
            spent := tollgate_counter_spent_of(p_names, p_minute, p_anchors, p_now);
            FOR i IN 1..n LOOP
                k := array_position(locked, p_names[i]);
                answer := answer || spent[i] || COALESCE(held[k], 0);
            END LOOP;
            RETURN answer;
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
