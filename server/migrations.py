"""Schema of the central store, as registered migrations.

Each migration runs once, in order, inside a transaction, and is recorded in
`schema_migrations`; a store opened by newer code is brought up to date on
start. Never edit a migration that has shipped: add the next one.
"""
from __future__ import annotations

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "initial: races, terminals, enrolment codes, admin tokens, bets, pools",
        """
        CREATE TABLE meta (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        INSERT INTO meta (name, value) VALUES ('programme_version', 0), ('last_terminal', 0);

        CREATE TABLE races (
            race_id TEXT PRIMARY KEY,
            day TEXT NOT NULL,
            meeting INTEGER NOT NULL,
            number INTEGER NOT NULL,
            post_time TEXT NOT NULL,
            card TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open',
            closed_at TEXT,
            version INTEGER NOT NULL
        );
        CREATE INDEX races_version ON races (version);

        CREATE TABLE terminals (
            terminal_id TEXT PRIMARY KEY,
            outlet TEXT NOT NULL,
            key_hex TEXT NOT NULL,
            enrolled_at TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            connected INTEGER NOT NULL DEFAULT 0,
            last_seen TEXT,
            queue_depth INTEGER,
            printer TEXT,
            version TEXT
        );

        CREATE TABLE enrolment_codes (
            code TEXT PRIMARY KEY,
            outlet TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            terminal_id TEXT
        );

        CREATE TABLE admin_tokens (
            token_sha256 TEXT PRIMARY KEY,
            created_at TEXT NOT NULL
        );

        CREATE TABLE bets (
            uuid TEXT PRIMARY KEY,
            terminal_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            race_id TEXT NOT NULL,
            bet_type TEXT NOT NULL,
            formula TEXT NOT NULL,
            selections TEXT NOT NULL,
            bases TEXT NOT NULL,
            unit_stake_cents INTEGER NOT NULL,
            total_cents INTEGER NOT NULL,
            combinations INTEGER NOT NULL,
            placed_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            offline INTEGER NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            message TEXT,
            ticket TEXT UNIQUE,
            UNIQUE (terminal_id, seq)
        );
        CREATE INDEX bets_race ON bets (race_id, bet_type, status);

        CREATE TABLE pools (
            race_id TEXT NOT NULL,
            bet_type TEXT NOT NULL,
            total_cents INTEGER NOT NULL DEFAULT 0,
            bets INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (race_id, bet_type)
        );
        """,
    ),
]

MIGRATIONS.append((
    2,
    "settlement: champ partners, results, settled pools, payments, cancellations",
    """
    ALTER TABLE bets ADD COLUMN partners TEXT;
    ALTER TABLE bets ADD COLUMN cancelled_at TEXT;
    CREATE TABLE results (
        race_id TEXT PRIMARY KEY,
        result TEXT NOT NULL,
        official INTEGER NOT NULL DEFAULT 0,
        entered_at TEXT NOT NULL,
        official_at TEXT
    );
    CREATE TABLE pool_results (
        race_id TEXT NOT NULL,
        bet_type TEXT NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (race_id, bet_type)
    );
    CREATE TABLE payments (
        ticket TEXT PRIMARY KEY,
        payment_uuid TEXT NOT NULL UNIQUE,
        terminal_id TEXT NOT NULL,
        amount_cents INTEGER NOT NULL,
        paid_at TEXT NOT NULL
    );
    """,
))

MIGRATIONS.append((
    3,
    "covering index for settlement: stakes summed per bet shape without sorting the bets",
    """
    CREATE INDEX bets_shape ON bets (race_id, status, bet_type, formula, selections, bases,
                                     partners, unit_stake_cents)
    """,
))

MIGRATIONS.append((
    4,
    "money safety: what the server owes for a refused offline bet, and the operator's review",
    """
    ALTER TABLE bets ADD COLUMN refund_cents INTEGER;
    ALTER TABLE bets ADD COLUMN review TEXT;
    ALTER TABLE bets ADD COLUMN review_max_cents INTEGER;
    ALTER TABLE bets ADD COLUMN reviewed_at TEXT;
    ALTER TABLE bets ADD COLUMN review_note TEXT;
    UPDATE bets SET review = 'open', refund_cents = 0,
                    review_max_cents = MIN(total_cents, 20000)
     WHERE status = 'rejected' AND ticket IS NOT NULL;
    CREATE INDEX bets_review ON bets (review) WHERE review IS NOT NULL
    """,
))

MIGRATIONS.append((
    5,
    "fleet control: a connect signature is accepted once, and which socket is a terminal's",
    """
    ALTER TABLE terminals ADD COLUMN last_auth_ts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE terminals ADD COLUMN live_sid TEXT
    """,
))

MIGRATIONS.append((
    6,
    "periodic work has one owner among the server processes sharing the store",
    """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )
    """,
))

MIGRATIONS.append((
    7,
    "pool totals as per-writer counters: shards summed on reading, no hot row per pool",
    """
    CREATE TABLE pool_counters (
        race_id TEXT NOT NULL,
        bet_type TEXT NOT NULL,
        shard INTEGER NOT NULL,
        total_cents INTEGER NOT NULL DEFAULT 0,
        bets INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (race_id, bet_type, shard)
    );
    INSERT INTO pool_counters (race_id, bet_type, shard, total_cents, bets)
        SELECT race_id, bet_type, 0, total_cents, bets FROM pools;
    DROP TABLE pools;
    ALTER TABLE pool_counters RENAME TO pools
    """,
))


MIGRATIONS.append((
    8,
    "drop bets_race: bets_shape starts with the same columns and serves every query it served",
    """
    DROP INDEX IF EXISTS bets_race
    """,
))


# PostgreSQL's schema, numbered on the same scale: a PostgreSQL store starts
# at the schema SQLite reached with migration 7, in one step (no PostgreSQL
# store existed before it). From here on every migration is given for both
# stores under one number. The differences from SQLite's: BIGINT for every
# integer (PostgreSQL's INTEGER is 32-bit; amounts reach 10^10 cents), and no
# `INDEXED BY` (the planner picks `bets_shape` itself). Times stay ISO 8601
# text in UTC, as on SQLite, so that both compare them the same way.
POSTGRES_MIGRATIONS: list[tuple[int, str, str]] = [(
    7,
    "initial PostgreSQL schema (SQLite migrations 1 to 7)",
    """
    CREATE TABLE meta (
        name TEXT PRIMARY KEY,
        value BIGINT NOT NULL
    );
    INSERT INTO meta (name, value) VALUES ('programme_version', 0), ('last_terminal', 0);

    CREATE TABLE races (
        race_id TEXT PRIMARY KEY,
        day TEXT NOT NULL,
        meeting BIGINT NOT NULL,
        number BIGINT NOT NULL,
        post_time TEXT NOT NULL,
        card TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'open',
        closed_at TEXT,
        version BIGINT NOT NULL
    );
    CREATE INDEX races_version ON races (version);

    CREATE TABLE terminals (
        terminal_id TEXT PRIMARY KEY,
        outlet TEXT NOT NULL,
        key_hex TEXT NOT NULL,
        enrolled_at TEXT NOT NULL,
        disabled BIGINT NOT NULL DEFAULT 0,
        connected BIGINT NOT NULL DEFAULT 0,
        last_seen TEXT,
        queue_depth BIGINT,
        printer TEXT,
        version TEXT,
        last_auth_ts BIGINT NOT NULL DEFAULT 0,
        live_sid TEXT
    );

    CREATE TABLE enrolment_codes (
        code TEXT PRIMARY KEY,
        outlet TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        terminal_id TEXT
    );

    CREATE TABLE admin_tokens (
        token_sha256 TEXT PRIMARY KEY,
        created_at TEXT NOT NULL
    );

    CREATE TABLE bets (
        uuid TEXT PRIMARY KEY,
        terminal_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        race_id TEXT NOT NULL,
        bet_type TEXT NOT NULL,
        formula TEXT NOT NULL,
        selections TEXT NOT NULL,
        bases TEXT NOT NULL,
        unit_stake_cents BIGINT NOT NULL,
        total_cents BIGINT NOT NULL,
        combinations BIGINT NOT NULL,
        placed_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        offline BIGINT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        message TEXT,
        ticket TEXT UNIQUE,
        partners TEXT,
        cancelled_at TEXT,
        refund_cents BIGINT,
        review TEXT,
        review_max_cents BIGINT,
        reviewed_at TEXT,
        review_note TEXT,
        UNIQUE (terminal_id, seq)
    );
    CREATE INDEX bets_race ON bets (race_id, bet_type, status);
    CREATE INDEX bets_shape ON bets (race_id, status, bet_type, formula, selections, bases,
                                     partners, unit_stake_cents);
    CREATE INDEX bets_review ON bets (review) WHERE review IS NOT NULL;

    CREATE TABLE results (
        race_id TEXT PRIMARY KEY,
        result TEXT NOT NULL,
        official BIGINT NOT NULL DEFAULT 0,
        entered_at TEXT NOT NULL,
        official_at TEXT
    );
    CREATE TABLE pool_results (
        race_id TEXT NOT NULL,
        bet_type TEXT NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (race_id, bet_type)
    );
    CREATE TABLE payments (
        ticket TEXT PRIMARY KEY,
        payment_uuid TEXT NOT NULL UNIQUE,
        terminal_id TEXT NOT NULL,
        amount_cents BIGINT NOT NULL,
        paid_at TEXT NOT NULL
    );

    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );

    CREATE TABLE pools (
        race_id TEXT NOT NULL,
        bet_type TEXT NOT NULL,
        shard BIGINT NOT NULL,
        total_cents BIGINT NOT NULL DEFAULT 0,
        bets BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (race_id, bet_type, shard)
    )
    """,
)]

POSTGRES_MIGRATIONS.append((
    8,
    "drop bets_race: bets_shape starts with the same columns and serves every query it served",
    """
    DROP INDEX IF EXISTS bets_race
    """,
))

MIGRATIONS.append((
    9,
    "cheval de complément: the horse named to replace a withdrawn one, part of a bet's shape",
    """
    ALTER TABLE bets ADD COLUMN complement INTEGER;
    DROP INDEX IF EXISTS bets_shape;
    CREATE INDEX bets_shape ON bets (race_id, status, bet_type, formula, selections, bases,
                                     partners, complement, unit_stake_cents)
    """,
))

POSTGRES_MIGRATIONS.append((
    9,
    "cheval de complément: the horse named to replace a withdrawn one, part of a bet's shape",
    """
    ALTER TABLE bets ADD COLUMN complement BIGINT;
    DROP INDEX IF EXISTS bets_shape;
    CREATE INDEX bets_shape ON bets (race_id, status, bet_type, formula, selections, bases,
                                     partners, complement, unit_stake_cents)
    """,
))

_AUDIT = """
    CREATE TABLE audit_log (
        seq {int} PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )
    """
MIGRATIONS.append((
    10,
    "audit log: every operator action and pool event, each entry chained to the previous by hash",
    _AUDIT.format(int="INTEGER"),
))

POSTGRES_MIGRATIONS.append((
    10,
    "audit log: every operator action and pool event, each entry chained to the previous by hash",
    _AUDIT.format(int="BIGINT"),
))

_ACCOUNTS = """
    CREATE TABLE accounts (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        disabled {int} NOT NULL DEFAULT 0,
        failures {int} NOT NULL DEFAULT 0,
        locked_until TEXT,
        created_at TEXT NOT NULL,
        changed_at TEXT NOT NULL
    );
    ALTER TABLE admin_tokens ADD COLUMN account TEXT;
    CREATE TABLE app_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)
    """
MIGRATIONS.append((
    11,
    "back-office accounts (operator, auditor, technician), API tokens tied to one, "
    "and the secret that signs back-office sessions",
    _ACCOUNTS.format(int="INTEGER"),
))

POSTGRES_MIGRATIONS.append((
    11,
    "back-office accounts (operator, auditor, technician), API tokens tied to one, "
    "and the secret that signs back-office sessions",
    _ACCOUNTS.format(int="BIGINT"),
))

# Reports: the terminals' Z reports, stored once per (terminal, report id), the
# terminal being the one its connection authenticated. The day figures are the
# terminal's own for its Paris day, named as `till_ledger` names the server's;
# the shift columns are the drawer's. Indexes let a day's report read that day's
# rows only: sales by their sale time, cancellations and payments by theirs.
_Z_REPORTS = """
    CREATE TABLE z_reports (
        terminal_id TEXT NOT NULL,
        report_id TEXT NOT NULL,
        day TEXT NOT NULL,
        shift {int} NOT NULL,
        opened_at TEXT NOT NULL,
        closed_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        sales_count {int} NOT NULL,
        sales_cents {int} NOT NULL,
        cancellations_count {int} NOT NULL,
        cancellations_cents {int} NOT NULL,
        payouts_count {int} NOT NULL,
        payouts_cents {int} NOT NULL,
        refunds_count {int} NOT NULL,
        refunds_cents {int} NOT NULL,
        float_cents {int} NOT NULL,
        sales_cash_cents {int} NOT NULL,
        sales_card_cents {int} NOT NULL,
        expected_cents {int} NOT NULL,
        counted_cents {int} NOT NULL,
        PRIMARY KEY (terminal_id, report_id)
    );
    CREATE INDEX z_reports_day ON z_reports (day, terminal_id, closed_at);
    CREATE INDEX bets_placed ON bets (placed_at);
    CREATE INDEX bets_cancelled ON bets (cancelled_at) WHERE cancelled_at IS NOT NULL;
    CREATE INDEX payments_paid ON payments (paid_at)
    """
MIGRATIONS.append((
    12,
    "reports: the terminals' Z reports, and indexes to read one day of sales and payments",
    _Z_REPORTS.format(int="INTEGER"),
))

POSTGRES_MIGRATIONS.append((
    12,
    "reports: the terminals' Z reports, and indexes to read one day of sales and payments",
    _Z_REPORTS.format(int="BIGINT"),
))

_FLEET = """
    ALTER TABLE terminals ADD COLUMN provisional {int};
    ALTER TABLE terminals ADD COLUMN clock_offset_ms {int};
    ALTER TABLE terminals ADD COLUMN key_changed_at TEXT;
    ALTER TABLE enrolment_codes ADD COLUMN for_terminal TEXT;
    ALTER TABLE enrolment_codes ADD COLUMN purpose TEXT NOT NULL DEFAULT 'enrol';
    ALTER TABLE enrolment_codes ADD COLUMN receipt TEXT;
    CREATE UNIQUE INDEX enrolment_codes_receipt ON enrolment_codes (receipt);
    CREATE INDEX enrolment_codes_pending ON enrolment_codes (expires_at) WHERE used_at IS NULL
    """
MIGRATIONS.append((
    13,
    "fleet page: provisional bets and clock offset per terminal, when its key last changed; "
    "codes that re-key a known terminal, and a receipt reference for each code",
    _FLEET.format(int="INTEGER"),
))

POSTGRES_MIGRATIONS.append((
    13,
    "fleet page: provisional bets and clock offset per terminal, when its key last changed; "
    "codes that re-key a known terminal, and a receipt reference for each code",
    _FLEET.format(int="BIGINT"),
))

_REKEY_INDEX = """
    CREATE INDEX terminals_rekeyed ON terminals (key_changed_at) WHERE key_changed_at IS NOT NULL
    """
MIGRATIONS.append((
    14,
    "index the terminals re-keyed: every watch pass of every process looks for recent ones",
    _REKEY_INDEX,
))

POSTGRES_MIGRATIONS.append((
    14,
    "index the terminals re-keyed: every watch pass of every process looks for recent ones",
    _REKEY_INDEX,
))

# Report+ (betting/reports.py, server/services/chains.py): the legs of a chain, one row
# each, beside its bet (the bet's row holds leg 1's race and horse, and the first
# stake). A leg is funded (`stake_cents`) at the sale for the first, when the previous
# leg's race is official for the others; `in_pool` says whether its stake joined its
# race's Simple pool (0: funded after the pools closed, executed on the published
# rapport). A leg run has its `return_cents`, what it carried on, what was kept and
# the cent the split's roundings may leave (the operator's). `base_cents` is the
# chain's minimum stake (art. 30: a share below it is not carried, at most 1,000 of
# them are). The index serves settlement (a race's funded legs) and the advance
# of the chains whose current leg is a race made official.
_CHAIN_LEGS = """
    CREATE TABLE chain_legs (
        uuid TEXT NOT NULL,
        leg {int} NOT NULL,
        race_id TEXT NOT NULL,
        horse {int} NOT NULL,
        kind TEXT NOT NULL,
        carry TEXT NOT NULL,
        base_cents {int} NOT NULL,
        stake_cents {int},
        in_pool {int},
        return_cents {int},
        carried_cents {int},
        kept_cents {int},
        breakage_cents {int},
        void {int} NOT NULL DEFAULT 0,
        funded_at TEXT,
        run_at TEXT,
        PRIMARY KEY (uuid, leg)
    );
    CREATE INDEX chain_legs_race ON chain_legs (race_id, stake_cents)
    """
MIGRATIONS.append((
    15,
    "Report+: the legs of each chain, their stakes, returns and what each carried or kept",
    _CHAIN_LEGS.format(int="INTEGER"),
))

POSTGRES_MIGRATIONS.append((
    15,
    "Report+: the legs of each chain, their stakes, returns and what each carried or kept",
    _CHAIN_LEGS.format(int="BIGINT"),
))
