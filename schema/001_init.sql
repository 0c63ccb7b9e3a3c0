-- netctl store, schema version 1. Why it looks like this: docs/decisions.md, "Store schema".
-- Codes are small integers: protocol = enum probe_protocol (0 icmp, 1 tcp, 2 udp),
-- family = 4 | 6, network = enum store_network (0 pod, 1 host, 2 pod-host, 3 host-pod),
-- error = enum probe_error (0 ok = passed). Times are Unix epoch milliseconds, RTTs µs.
-- No secret is ever stored: clusters keep the kubeconfig path and context only.

CREATE TABLE clusters (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	kubeconfig TEXT NOT NULL,
	context TEXT,
	added_ms INTEGER NOT NULL,
	removed_ms INTEGER -- NULL while registered; removed clusters keep their history
);

CREATE TABLE runs (
	id INTEGER PRIMARY KEY,
	parent_id INTEGER REFERENCES runs(id),
	started_ms INTEGER NOT NULL,
	finished_ms INTEGER,
	status TEXT NOT NULL CHECK (status IN ('running', 'done', 'interrupted', 'failed')),
	protocols INTEGER NOT NULL, -- bit mask, 1 << protocol
	families INTEGER NOT NULL,  -- bit mask, 1 = IPv4, 2 = IPv6
	networks INTEGER NOT NULL,  -- bit mask, 1 << network
	compare_key TEXT NOT NULL,  -- runs with equal keys are comparable (diff)
	options TEXT NOT NULL,      -- effective options, JSON
	planned INTEGER NOT NULL DEFAULT 0,
	results INTEGER NOT NULL DEFAULT 0, -- maintained with each result batch
	failed INTEGER NOT NULL DEFAULT 0,
	last_write_ms INTEGER NOT NULL, -- last batch: the finish time of an interrupted run
	-- Who writes the run: a 'running' run whose owner is gone was interrupted.
	owner_pid INTEGER NOT NULL,
	owner_boot TEXT NOT NULL,      -- /proc/sys/kernel/random/boot_id
	owner_start INTEGER NOT NULL   -- process start time (clock ticks), defeats pid reuse
);
CREATE INDEX runs_compare ON runs (compare_key, id);
CREATE INDEX runs_parent ON runs (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX runs_running ON runs (id) WHERE status = 'running';

CREATE TABLE run_clusters (
	run_id INTEGER NOT NULL REFERENCES runs(id),
	cluster_id INTEGER NOT NULL REFERENCES clusters(id),
	roles INTEGER NOT NULL, -- 1 source, 2 destination, 3 both
	PRIMARY KEY (run_id, cluster_id)
) WITHOUT ROWID;
CREATE INDEX run_clusters_cluster ON run_clusters (cluster_id, run_id);

CREATE TABLE nodes (
	id INTEGER PRIMARY KEY,
	cluster_id INTEGER NOT NULL REFERENCES clusters(id),
	name TEXT NOT NULL,
	UNIQUE (cluster_id, name)
);

CREATE TABLE run_nodes (
	run_id INTEGER NOT NULL REFERENCES runs(id),
	node_id INTEGER NOT NULL REFERENCES nodes(id),
	pod_ipv4 TEXT,
	pod_ipv6 TEXT,
	host_ipv4 TEXT,
	host_ipv6 TEXT,
	floater INTEGER NOT NULL, -- 0 unknown, 1 ready, 2 not ready, 3 lost
	PRIMARY KEY (run_id, node_id)
) WITHOUT ROWID;

-- One row per run x pair x protocol x family x network: up to a million per run.
-- The primary key is the diff order (a merge join of two runs walks it), so it is also
-- the covering index; no foreign keys here, since checking them would cost two lookups
-- per inserted row (the store writes node ids it just read from nodes).
CREATE TABLE results (
	run_id INTEGER NOT NULL,
	src_node INTEGER NOT NULL,
	dst_node INTEGER NOT NULL,
	protocol INTEGER NOT NULL,
	family INTEGER NOT NULL,
	network INTEGER NOT NULL,
	error INTEGER NOT NULL,
	sent INTEGER NOT NULL,
	received INTEGER NOT NULL,
	rtt_min INTEGER NOT NULL,
	rtt_avg INTEGER NOT NULL,
	rtt_max INTEGER NOT NULL,
	rtt_p99 INTEGER NOT NULL,
	PRIMARY KEY (run_id, src_node, dst_node, protocol, family, network)
) WITHOUT ROWID;
