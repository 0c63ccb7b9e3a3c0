-- What a node row is: 0 a Kubernetes node, 1 a custom target (netctl check --target,
-- config.json customizedTargetIPList x customizedTargetPortList), 2 an address of the
-- cluster's API server (the default/kubernetes Endpoints). Targets and API server addresses
-- are pseudo-nodes of the cluster whose nodes probe them, named "target:ADDR[:PORT]" and
-- "apiserver:ADDR:PORT" (a ':' is never in a Kubernetes node name), so their results are
-- (node -> pseudo-node) rows of the results table like any other pair.
ALTER TABLE nodes ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
