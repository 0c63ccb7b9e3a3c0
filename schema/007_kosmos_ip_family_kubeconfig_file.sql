-- #18, Kosmos (docs/kosmos.md).
-- ip_family: the family a cluster is checked over when the check gives no --family
-- ("ipv4", "ipv6", "all"; NULL: not said): a Kosmos Cluster's ipFamily, or
-- `netctl cluster add --ip-family`.
ALTER TABLE clusters ADD COLUMN ip_family TEXT;
-- kubeconfig_file: for a cluster imported with `cluster import --kosmos --write-kubeconfigs
-- DIR`, the file (0600) the import wrote the member's kubeconfig to; checks read it instead
-- of the Cluster object. NULL: read from the Cluster object at check time.
ALTER TABLE clusters ADD COLUMN kubeconfig_file TEXT;
