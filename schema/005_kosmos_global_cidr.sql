-- Global IP mapping (docs/kosmos.md): a cluster's "REAL=GLOBAL[,REAL=GLOBAL...]" CIDR pairs
-- (netctl cluster add --global-cidr, or a Kosmos Cluster's globalCIDRsMap), NULL when none.
-- Other clusters probe its pods at the global address; a run keeps each node's global pod
-- addresses next to the real ones, so reports show both.
ALTER TABLE clusters ADD COLUMN global_cidrs TEXT;
ALTER TABLE run_nodes ADD COLUMN pod_global_ipv4 TEXT;
ALTER TABLE run_nodes ADD COLUMN pod_global_ipv6 TEXT;
-- Clusters imported from a Kosmos host cluster (netctl cluster import --kosmos): kosmos = 1,
-- kubeconfig and context are the host cluster's (the member's own kubeconfig is read from
-- its Cluster object at check time, never stored), network_type is the Cluster's
-- networkType ("p2p", "gateway"; NULL when not said).
ALTER TABLE clusters ADD COLUMN kosmos INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clusters ADD COLUMN network_type TEXT;
