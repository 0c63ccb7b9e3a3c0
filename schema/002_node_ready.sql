-- The Node's Ready condition when the run listed it: 0 for a NotReady node, whose pairs
-- the verdicts then blame on the node rather than on a missing floater. Independent of
-- run_nodes.floater (a NotReady node's floater may still answer).
ALTER TABLE run_nodes ADD COLUMN node_ready INTEGER NOT NULL DEFAULT 1;
