-- Kosmos gateway mode (docs/kosmos.md, "Gateway mode"). For each cluster of a run imported
-- from Kosmos: its Cluster's networkType when the run read it ("p2p", "gateway"; NULL when
-- not said), and one row per ClusterNode of that cluster (clusternodes.kosmos.io, read at
-- check time) and per Node of the cluster without one: its roles ("gateway", comma
-- separated; NULL: no ClusterNode) and what its ClusterNode says that the Node does not
-- (addresses, pod CIDRs; NULL: they agree). The verdicts read the gateway nodes from here,
-- the reports the network type per cluster pair and the findings.
CREATE TABLE run_kosmos (
	run_id INTEGER NOT NULL REFERENCES runs(id),
	cluster_id INTEGER NOT NULL REFERENCES clusters(id),
	network_type TEXT,
	PRIMARY KEY (run_id, cluster_id)
) WITHOUT ROWID;
CREATE TABLE run_kosmos_nodes (
	run_id INTEGER NOT NULL REFERENCES runs(id),
	cluster_id INTEGER NOT NULL REFERENCES clusters(id),
	node TEXT NOT NULL, -- the node's name (a ClusterNode's spec.nodeName)
	roles TEXT,
	finding TEXT,
	PRIMARY KEY (run_id, cluster_id, node)
) WITHOUT ROWID;
