import OutpostStore

/// The replica's (and the node's per-reseller) database schema and its migrations.
///
/// One schema on both sides so the same mutation code runs on each. Tables
/// listed in `replicatedTables` carry a `version`: the node's change-log
/// position that last wrote the row (0 until the node has seen it).
public enum Schema {
    /// Every table whose rows the node owns and replicates, parents before children.
    public static let replicatedTables: [String] = [
        "settings", "plan", "price_rule", "panel_user", "customer", "customer_user",
        "orders", "order_line", "subscription", "invoice", "invoice_line",
        "credit_note", "credit_note_line", "payment", "domain", "ssl_certificate",
        "license", "login_event", "conflict", "notification", "customer_portal", "operation_run", "operation_event",
    ]

    /// The migrations, in order. Never edit a released step; add a new one.
    public static let migrator: Migrator = {
        var migrator = Migrator()
        for (name, script) in steps {
            migrator.register(name) { db in try db.executeScript(script) }
        }
        return migrator
    }()

    /// Each step's name (what a database records it ran) and its SQL, in order.
    static let steps: [(name: String, script: String)] = [
        ("v1: reseller domain, local queue", version1),
        ("v2: sync — change log, verdicts, conflicts, sync runs", version2),
        ("v3: notifications sent by the node", version3),
        ("v4: site change journal, indexes for single-customer pages", version4),
        ("v5: back office safety", version5),
        ("v6: conflicts people can settle", version6),
        ("v7: when a customer was closed", version7),
        ("v8: login histories", version8),
        ("v9: the reseller's own purchases", version9),
        ("v10: customer portals", version10),
        ("v11: operations log", version11),
        ("v12: kept acknowledged mutations", version12),
    ]

    /// Brings `db` to the latest schema.
    public static func migrate(_ db: Database) throws {
        try migrator.migrate(db)
    }

    static let version1 = """
    CREATE TABLE settings (
        id TEXT PRIMARY KEY CHECK (id = 'settings'),
        company_name TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '',
        tax_id TEXT NOT NULL DEFAULT '',
        currency TEXT NOT NULL DEFAULT 'EUR',
        tax_rate_bp INTEGER NOT NULL DEFAULT 0 CHECK (tax_rate_bp BETWEEN 0 AND 10000),
        payment_terms_days INTEGER NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 365),
        notify_invoice_due TEXT NOT NULL DEFAULT '7,1',
        notify_invoice_overdue TEXT NOT NULL DEFAULT '1,7,30',
        notify_subscription_expiring TEXT NOT NULL DEFAULT '30,7',
        notify_domain_expiring TEXT NOT NULL DEFAULT '60,30,7',
        notify_ssl_expiring TEXT NOT NULL DEFAULT '30,14,7',
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    INSERT INTO settings (id) VALUES ('settings');

    CREATE TABLE plan (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        vendor TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL CHECK (kind IN ('subscription', 'domain', 'ssl', 'license')),
        billing_period TEXT NOT NULL CHECK (billing_period IN ('monthly', 'annual')),
        cost INTEGER NOT NULL CHECK (cost >= 0),
        currency TEXT NOT NULL,
        ssl_validation TEXT CHECK (ssl_validation IN ('DV', 'OV', 'EV')),
        description TEXT NOT NULL DEFAULT '',
        available INTEGER NOT NULL DEFAULT 1 CHECK (available IN (0, 1)),
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    CREATE TABLE price_rule (
        id TEXT PRIMARY KEY,
        plan_id TEXT UNIQUE REFERENCES plan (id),
        markup_bp INTEGER NOT NULL CHECK (markup_bp BETWEEN 0 AND 100000),
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    INSERT INTO price_rule (id, plan_id, markup_bp) VALUES ('prc_default', NULL, 2500);

    CREATE TABLE panel_user (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'billing', 'viewer')),
        created_at TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    CREATE TABLE customer (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
        contact_name TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT '',
        city TEXT NOT NULL DEFAULT '',
        postal_code TEXT NOT NULL DEFAULT '',
        country TEXT NOT NULL DEFAULT '',
        tax_id TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX customer_by_name ON customer (name);

    CREATE TABLE customer_user (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customer (id),
        username TEXT NOT NULL,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'user', 'billing')),
        created_at TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0,
        UNIQUE (customer_id, username)
    ) STRICT;

    CREATE TABLE orders (
        id TEXT PRIMARY KEY,
        number TEXT UNIQUE,
        customer_id TEXT NOT NULL REFERENCES customer (id),
        subscription_id TEXT,
        type TEXT NOT NULL CHECK (type IN ('sales', 'renewal', 'change', 'cancellation', 'transfer')),
        status TEXT NOT NULL CHECK (status IN ('queued', 'submitted', 'provisioning', 'completed', 'failed', 'rejected')),
        cancel_mode TEXT CHECK (cancel_mode IN ('now', 'period_end')),
        placed_at TEXT NOT NULL,
        total INTEGER NOT NULL,
        currency TEXT NOT NULL,
        status_reason TEXT NOT NULL DEFAULT '',
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX orders_by_customer ON orders (customer_id);
    CREATE INDEX orders_by_subscription ON orders (subscription_id);
    CREATE INDEX orders_by_status ON orders (status);

    CREATE TABLE order_line (
        id TEXT PRIMARY KEY,
        order_id TEXT NOT NULL REFERENCES orders (id),
        plan_id TEXT NOT NULL REFERENCES plan (id),
        description TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        unit_price INTEGER NOT NULL,
        unit_cost INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        domain_name TEXT NOT NULL DEFAULT '',
        common_name TEXT NOT NULL DEFAULT '',
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX order_line_by_order ON order_line (order_id);

    CREATE TABLE subscription (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customer (id),
        plan_id TEXT NOT NULL REFERENCES plan (id),
        order_id TEXT,
        quantity INTEGER NOT NULL CHECK (quantity >= 1),
        status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'cancelled', 'expired')),
        period_start TEXT NOT NULL,
        period_end TEXT NOT NULL,
        auto_renew INTEGER NOT NULL DEFAULT 1 CHECK (auto_renew IN (0, 1)),
        cancel_at_period_end INTEGER NOT NULL DEFAULT 0 CHECK (cancel_at_period_end IN (0, 1)),
        unit_price INTEGER NOT NULL,
        unit_cost INTEGER NOT NULL,
        currency TEXT NOT NULL,
        created_at TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX subscription_by_customer ON subscription (customer_id);

    CREATE TABLE invoice (
        id TEXT PRIMARY KEY,
        number TEXT UNIQUE,
        customer_id TEXT NOT NULL REFERENCES customer (id),
        order_id TEXT,
        status TEXT NOT NULL CHECK (status IN ('issued', 'void')),
        issue_date TEXT NOT NULL,
        due_date TEXT NOT NULL,
        currency TEXT NOT NULL,
        subtotal INTEGER NOT NULL,
        tax INTEGER NOT NULL,
        total INTEGER NOT NULL,
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX invoice_by_customer ON invoice (customer_id);

    CREATE TABLE invoice_line (
        id TEXT PRIMARY KEY,
        invoice_id TEXT NOT NULL REFERENCES invoice (id),
        subscription_id TEXT,
        description TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        unit_price INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        period_start TEXT,
        period_end TEXT,
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX invoice_line_by_invoice ON invoice_line (invoice_id);

    CREATE TABLE credit_note (
        id TEXT PRIMARY KEY,
        number TEXT UNIQUE,
        invoice_id TEXT NOT NULL REFERENCES invoice (id),
        customer_id TEXT NOT NULL REFERENCES customer (id),
        reason TEXT NOT NULL,
        issue_date TEXT NOT NULL,
        currency TEXT NOT NULL,
        subtotal INTEGER NOT NULL,
        tax INTEGER NOT NULL,
        total INTEGER NOT NULL CHECK (total > 0),
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX credit_note_by_invoice ON credit_note (invoice_id);

    CREATE TABLE credit_note_line (
        id TEXT PRIMARY KEY,
        credit_note_id TEXT NOT NULL REFERENCES credit_note (id),
        description TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        unit_price INTEGER NOT NULL,
        amount INTEGER NOT NULL,
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    CREATE TABLE payment (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customer (id),
        invoice_id TEXT NOT NULL REFERENCES invoice (id),
        method TEXT NOT NULL CHECK (method IN ('bank_transfer', 'card', 'direct_debit', 'cash', 'check', 'other')),
        reference TEXT NOT NULL DEFAULT '',
        amount INTEGER NOT NULL CHECK (amount > 0),
        currency TEXT NOT NULL,
        received_on TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed', 'refunded')),
        recorded_at TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX payment_by_invoice ON payment (invoice_id);

    CREATE TABLE domain (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customer (id),
        subscription_id TEXT,
        name TEXT NOT NULL UNIQUE,
        origin TEXT NOT NULL CHECK (origin IN ('registration', 'transfer')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'expired', 'transferred_out', 'cancelled')),
        registered_on TEXT,
        expires_on TEXT,
        auto_renew INTEGER NOT NULL DEFAULT 1 CHECK (auto_renew IN (0, 1)),
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    CREATE TABLE ssl_certificate (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customer (id),
        subscription_id TEXT,
        common_name TEXT NOT NULL,
        validation TEXT NOT NULL CHECK (validation IN ('DV', 'OV', 'EV')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'issued', 'expired', 'revoked', 'cancelled')),
        issued_on TEXT,
        expires_on TEXT,
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    CREATE TABLE license (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customer (id),
        subscription_id TEXT,
        product TEXT NOT NULL,
        license_key TEXT NOT NULL,
        seats INTEGER NOT NULL CHECK (seats >= 1),
        status TEXT NOT NULL CHECK (status IN ('active', 'expired', 'cancelled')),
        expires_on TEXT,
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    CREATE TABLE login_event (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        at TEXT NOT NULL,
        source TEXT NOT NULL,
        result TEXT NOT NULL CHECK (result IN ('success', 'failure')),
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX login_event_by_user ON login_event (username, at);

    CREATE TABLE replica_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;

    CREATE TABLE queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        mutation TEXT NOT NULL,
        mutation_version INTEGER NOT NULL,
        args TEXT NOT NULL,
        created_at TEXT NOT NULL,
        changes TEXT NOT NULL
    ) STRICT;

    CREATE TABLE rejected (
        seq INTEGER PRIMARY KEY,
        mutation TEXT NOT NULL,
        mutation_version INTEGER NOT NULL,
        args TEXT NOT NULL,
        created_at TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        rejected_at TEXT NOT NULL
    ) STRICT;
    """

    /// Sync: the node's change log and verdicts, the replicated conflict
    /// records, the replica's sync runs and the acknowledgement of queued
    /// mutations. Node-only and replica-only tables stay empty on the other side.
    static let version2 = """
    CREATE TABLE conflict (
        id TEXT PRIMARY KEY,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        field TEXT NOT NULL,
        local_value TEXT,
        node_value TEXT,
        winner TEXT NOT NULL CHECK (winner IN ('local', 'node')),
        base_version INTEGER NOT NULL,
        node_version INTEGER NOT NULL,
        replica_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        mutation TEXT NOT NULL,
        at TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX conflict_by_entity ON conflict (entity, entity_id);

    CREATE TABLE change_log (
        version INTEGER PRIMARY KEY,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
        row TEXT,
        columns TEXT NOT NULL DEFAULT '',
        origin TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE INDEX change_log_by_row ON change_log (entity, entity_id, version);

    CREATE TABLE verdict (
        replica_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        mutation TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('applied', 'refused', 'applied_with_conflict')),
        code TEXT,
        field TEXT,
        message TEXT,
        version INTEGER,
        blocked_by INTEGER,
        at TEXT NOT NULL,
        request_hash TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (replica_id, seq)
    ) STRICT;

    CREATE TABLE sync_run (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        pushed INTEGER NOT NULL DEFAULT 0,
        pulled INTEGER NOT NULL DEFAULT 0,
        refused INTEGER NOT NULL DEFAULT 0,
        conflicts INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        result TEXT NOT NULL CHECK (result IN ('running', 'ok', 'attention', 'failed')),
        message TEXT NOT NULL DEFAULT '',
        cursor INTEGER NOT NULL DEFAULT 0
    ) STRICT;

    CREATE TABLE refused_id (
        replica_id TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (replica_id, entity_id)
    ) STRICT;

    CREATE TABLE table_digest (
        entity TEXT PRIMARY KEY,
        row_count INTEGER NOT NULL,
        digest INTEGER NOT NULL
    ) STRICT;

    ALTER TABLE queue ADD COLUMN push_seq INTEGER;
    ALTER TABLE queue ADD COLUMN acked_version INTEGER;
    CREATE UNIQUE INDEX queue_by_push_seq ON queue (push_seq);
    """

    /// Notices the node sent (`outpost node notify`), replicated so every
    /// replica shows them on the customer's page. One row per notice: the key
    /// (kind, entity, due or expiry date, threshold) is unique, which is what
    /// makes a notice go out once however often the job runs.
    static let version3 = """
    CREATE TABLE notification (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customer (id),
        kind TEXT NOT NULL CHECK (kind IN ('invoice_due', 'invoice_overdue', 'subscription_expiring', 'domain_expiring', 'ssl_expiring')),
        entity TEXT NOT NULL CHECK (entity IN ('invoice', 'subscription', 'domain', 'ssl_certificate')),
        entity_id TEXT NOT NULL,
        threshold_days INTEGER NOT NULL CHECK (threshold_days BETWEEN 0 AND 365),
        reference_date TEXT NOT NULL,
        notice_date TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT NOT NULL,
        message_id TEXT NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('outbox', 'sendmail')),
        sent_at TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0,
        UNIQUE (kind, entity_id, reference_date, threshold_days)
    ) STRICT;
    CREATE INDEX notification_by_customer ON notification (customer_id, sent_at);
    """

    /// The replica's feed of changed rows, which the dashboards read to
    /// rebuild only what changed (`SiteChangeFeed`). Local: it is not replicated
    /// and only replica connections write it, through TEMP triggers; on the
    /// node it stays empty. AUTOINCREMENT so a seq is never reused after
    /// pruning (https://sqlite.org/autoinc.html).
    ///
    /// The indexes serve a customer's page, which lists its payments,
    /// credit notes and services.
    static let version4 = """
    CREATE TABLE site_change (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        via TEXT NOT NULL DEFAULT ''
    ) STRICT;

    CREATE INDEX payment_by_customer ON payment (customer_id);
    CREATE INDEX credit_note_by_customer ON credit_note (customer_id);
    CREATE INDEX domain_by_customer ON domain (customer_id);
    CREATE INDEX ssl_certificate_by_customer ON ssl_certificate (customer_id);
    CREATE INDEX license_by_customer ON license (customer_id);
    """

    /// The back office's safety rails: how far ahead a billing run may go
    /// (`advance_billing_days`), why and when an invoice was voided, and a
    /// vendor's "completed" answer kept on its order the moment it arrives, so
    /// an answer that could not be applied is settled from the record and the
    /// vendor is never called twice for it. Added columns only (SQLite's
    /// `ALTER TABLE … ADD COLUMN` rewrites nothing, https://sqlite.org/lang_altertable.html).
    /// Replicas read a logged row column by column and refuse one of another
    /// shape, so the change log's images of these rows get the new columns with
    /// their defaults (`json_set` with SQL NULL writes JSON null,
    /// https://sqlite.org/json1.html#jset); every row's digest covers its
    /// columns, so the kept digests of the three tables are computed again.
    static let version5 = """
    ALTER TABLE settings ADD COLUMN advance_billing_days INTEGER NOT NULL DEFAULT 14 CHECK (advance_billing_days BETWEEN 0 AND 366);
    ALTER TABLE invoice ADD COLUMN void_reason TEXT NOT NULL DEFAULT '';
    ALTER TABLE invoice ADD COLUMN voided_at TEXT;
    ALTER TABLE orders ADD COLUMN vendor_answer TEXT;
    ALTER TABLE orders ADD COLUMN vendor_answered_at TEXT;
    UPDATE change_log SET row = json_set(row, '$.advance_billing_days', 14)
    WHERE entity = 'settings' AND op = 'upsert' AND row IS NOT NULL AND json_type(row, '$.advance_billing_days') IS NULL;
    UPDATE change_log SET row = json_set(row, '$.void_reason', '', '$.voided_at', NULL)
    WHERE entity = 'invoice' AND op = 'upsert' AND row IS NOT NULL AND json_type(row, '$.void_reason') IS NULL;
    UPDATE change_log SET row = json_set(row, '$.vendor_answer', NULL, '$.vendor_answered_at', NULL)
    WHERE entity = 'orders' AND op = 'upsert' AND row IS NOT NULL AND json_type(row, '$.vendor_answer') IS NULL;
    DELETE FROM table_digest WHERE entity IN ('settings', 'invoice', 'orders');
    """

    /// Conflicts people can settle: the later edit wins (judged by when it
    /// was made), and a record says truthfully which value was kept, which was
    /// overwritten, whose each was and why, and later how a person resolved it.
    ///
    /// The v2 columns `local_value`, `node_value` and `winner` are replaced (the
    /// table is rebuilt, https://sqlite.org/lang_altertable.html#otheralter).
    /// Rows written before this step applied in arrival order: the pushed value
    /// was kept, the other side is unknown, the reason says `arrival_order`. The
    /// change log's images of them are rewritten to the new shape (replicas read
    /// rows column by column), and the table's kept digest is dropped so it is
    /// computed again from the rows.
    ///
    /// The change log learns, per entry, the instant its edit counts as made,
    /// who made it, and whether that instant was capped at the node's clock.
    /// `conflict_notice` (replica only) remembers which lost edits this replica
    /// has already announced, so each loss is told once.
    static let version6 = """
    CREATE TABLE conflict_v6 (
        id TEXT PRIMARY KEY,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        field TEXT NOT NULL,
        kept_value TEXT,
        overwritten_value TEXT,
        kept_replica TEXT NOT NULL,
        kept_user TEXT NOT NULL,
        kept_at TEXT NOT NULL,
        overwritten_replica TEXT NOT NULL,
        overwritten_user TEXT NOT NULL,
        overwritten_at TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('later_edit', 'later_edit_clock_ahead', 'same_instant_later_arrival', 'arrival_order')),
        base_version INTEGER NOT NULL,
        node_version INTEGER NOT NULL,
        replica_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        mutation TEXT NOT NULL,
        at TEXT NOT NULL,
        resolved_at TEXT,
        resolved_by TEXT,
        resolution TEXT CHECK (resolution IN ('kept', 'overwritten', 'value')),
        resolved_value TEXT,
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    INSERT INTO conflict_v6 (id, entity, entity_id, field, kept_value, overwritten_value, kept_replica, kept_user, kept_at,
                             overwritten_replica, overwritten_user, overwritten_at, reason, base_version, node_version,
                             replica_id, seq, mutation, at, version)
    SELECT id, entity, entity_id, field,
           CASE winner WHEN 'local' THEN local_value ELSE node_value END,
           CASE winner WHEN 'local' THEN node_value ELSE local_value END,
           CASE winner WHEN 'local' THEN replica_id ELSE '' END, '', CASE winner WHEN 'local' THEN at ELSE '' END,
           CASE winner WHEN 'local' THEN '' ELSE replica_id END, '', CASE winner WHEN 'local' THEN '' ELSE at END,
           'arrival_order', base_version, node_version, replica_id, seq, mutation, at, version
    FROM conflict;
    DROP TABLE conflict;
    ALTER TABLE conflict_v6 RENAME TO conflict;
    CREATE INDEX conflict_by_entity ON conflict (entity, entity_id);
    CREATE INDEX conflict_open ON conflict (resolved_at, at);

    UPDATE change_log SET row = (
        SELECT json_object(
            'at', c.at, 'base_version', c.base_version, 'entity', c.entity, 'entity_id', c.entity_id, 'field', c.field,
            'id', c.id, 'kept_at', c.kept_at, 'kept_replica', c.kept_replica, 'kept_user', c.kept_user, 'kept_value', c.kept_value,
            'mutation', c.mutation, 'node_version', c.node_version, 'overwritten_at', c.overwritten_at,
            'overwritten_replica', c.overwritten_replica, 'overwritten_user', c.overwritten_user,
            'overwritten_value', c.overwritten_value, 'reason', c.reason, 'replica_id', c.replica_id,
            'resolution', c.resolution, 'resolved_at', c.resolved_at, 'resolved_by', c.resolved_by,
            'resolved_value', c.resolved_value, 'seq', c.seq, 'version', change_log.version)
        FROM conflict c WHERE c.id = change_log.entity_id)
    WHERE entity = 'conflict' AND op = 'upsert' AND EXISTS (SELECT 1 FROM conflict c WHERE c.id = change_log.entity_id);
    DELETE FROM table_digest WHERE entity = 'conflict';

    ALTER TABLE change_log ADD COLUMN made_at TEXT NOT NULL DEFAULT '';
    ALTER TABLE change_log ADD COLUMN made_by TEXT NOT NULL DEFAULT '';
    ALTER TABLE change_log ADD COLUMN clock_ahead INTEGER NOT NULL DEFAULT 0;

    CREATE TABLE conflict_notice (
        key TEXT PRIMARY KEY,
        at TEXT NOT NULL
    ) STRICT;
    """

    /// When a customer was closed (`customer.close` sets it, `customer.activate`
    /// clears it), so the customer-dynamics report counts a closing as churn in
    /// its month. A customer closed before this step has no date: its churn is
    /// still dated by its last subscription's end. The column is part of every
    /// customer row's digest, so the kept digest is dropped and computed again;
    /// the change log's customer images get the column, as in v5.
    static let version7 = """
    ALTER TABLE customer ADD COLUMN closed_at TEXT;
    UPDATE change_log SET row = json_set(row, '$.closed_at', NULL)
    WHERE entity = 'customer' AND op = 'upsert' AND row IS NOT NULL AND json_type(row, '$.closed_at') IS NULL;
    DELETE FROM table_digest WHERE entity = 'customer';
    """

    /// Customer users' logins share the login table: a row with a `customer_user_id` is a sign-in to a
    /// customer's own panel (imported on the node), one without is a panel user's (a sync by their token).
    static let version8 = """
    ALTER TABLE login_event ADD COLUMN customer_user_id TEXT;
    ALTER TABLE login_event ADD COLUMN customer_id TEXT;
    CREATE INDEX login_event_by_customer_user ON login_event (customer_user_id, at);
    CREATE INDEX login_event_by_customer ON login_event (customer_id, at);
    UPDATE change_log SET row = json_set(row, '$.customer_user_id', NULL, '$.customer_id', NULL)
    WHERE entity = 'login_event' AND op = 'upsert' AND row IS NOT NULL AND json_type(row, '$.customer_user_id') IS NULL;
    DELETE FROM table_digest WHERE entity = 'login_event';
    """

    /// The reseller's own purchases: the reserved customer row `Customer.ownAccountId` they are
    /// ordered, provisioned and billed for (see there why a customer row). Created here, alike on
    /// the node and on every replica, so it is in no change log; the customer table's kept digest
    /// is dropped so it is computed again with the row.
    static let version9 = """
    INSERT OR IGNORE INTO customer (id, name, status, created_at) VALUES ('cus_own', 'Own account', 'active', '2000-01-01T00:00:00Z');
    DELETE FROM table_digest WHERE entity = 'customer';
    """

    /// Customers' read-only portals (`outpost portal enable`): one row per customer with a portal, its id
    /// the customer's, so a disabled portal's deleted row still names its customer. The key is the
    /// portal's directory name, random and made on a laptop; UNIQUE so two portals never share one.
    /// A new table: no old change-log images or digests to bring up to date.
    static let version10 = """
    CREATE TABLE customer_portal (
        id TEXT PRIMARY KEY REFERENCES customer (id),
        portal_key TEXT NOT NULL UNIQUE,
        enabled_at TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    """

    /// The node's operations log: each back-office run (`node provision`, `node bill`, `node notify`,
    /// `node logins import`) and what it did to each order, subscription or notice, replicated so the
    /// laptops' Operations page and `outpost operations` show it. A run's row is written in the
    /// transaction of its first event and its counts in each event's, which is the transaction of the
    /// work the event records: the log never tells of work not done, nor loses work done. Old runs
    /// go (with their events) as new ones start: the newest `OperationLog.keptRuns`, and any of the
    /// last `OperationLog.keptDays` days, are kept. New tables only: no old row image to rewrite.
    static let version11 = """
    CREATE TABLE operation_run (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('provision', 'bill', 'notify', 'logins_import')),
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        completed INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0,
        refused INTEGER NOT NULL DEFAULT 0,
        retried INTEGER NOT NULL DEFAULT 0,
        sent INTEGER NOT NULL DEFAULT 0,
        skipped INTEGER NOT NULL DEFAULT 0,
        invoices INTEGER NOT NULL DEFAULT 0,
        invoiced_total INTEGER NOT NULL DEFAULT 0,
        currency TEXT NOT NULL DEFAULT '',
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX operation_run_by_start ON operation_run (started_at, id);

    CREATE TABLE operation_event (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES operation_run (id),
        at TEXT NOT NULL,
        subject TEXT NOT NULL CHECK (subject IN ('order', 'subscription', 'notice', 'login_import')),
        subject_id TEXT NOT NULL DEFAULT '',
        subject_label TEXT NOT NULL DEFAULT '',
        customer_id TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('completed', 'failed', 'refused', 'retried', 'sent', 'skipped')),
        message TEXT NOT NULL DEFAULT '',
        error_output TEXT NOT NULL DEFAULT '',
        invoices TEXT NOT NULL DEFAULT '',
        amount INTEGER,
        currency TEXT NOT NULL DEFAULT '',
        version INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX operation_event_by_run ON operation_event (run_id, at);
    CREATE INDEX operation_event_by_customer ON operation_event (customer_id, at);
    """

    /// The replica keeps every mutation the node gave a verdict for, with that verdict, for 30 days
    /// (sync/PROTOCOL.md 6.6): a node restored from an older backup, or rolled back by a power loss,
    /// gets them again with their original seqs. Replica-only: stays empty on the node. Mutations
    /// acknowledged but still queued when a replica upgrades are kept from then on.
    static let version12 = """
    CREATE TABLE acknowledged_mutation (
        push_seq INTEGER PRIMARY KEY,
        seq INTEGER NOT NULL,
        mutation TEXT NOT NULL,
        mutation_version INTEGER NOT NULL,
        args TEXT NOT NULL,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('applied', 'refused', 'applied_with_conflict')),
        acked_version INTEGER,
        acknowledged_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX acknowledged_mutation_by_time ON acknowledged_mutation (acknowledged_at);
    INSERT INTO acknowledged_mutation (push_seq, seq, mutation, mutation_version, args, created_at, status, acked_version, acknowledged_at)
    SELECT push_seq, seq, mutation, mutation_version, args, created_at, 'applied', acked_version, strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
    FROM queue WHERE push_seq IS NOT NULL AND acked_version IS NOT NULL;
    """
}
