/* nsstat: the kernel's counters of self-inflicted loss in a test world, summed over its
 * network namespaces, so that a test can tell the machine's own drops from the network
 * failures netctl is meant to find.
 *
 *   nsstat PREFIX      (every namespace of /run/netns whose name starts with PREFIX)
 *
 * Prints one "NAME VALUE" line per counter, always the same names in the same order:
 *   neigh4.table_fulls neigh4.unresolved_discards neigh6.table_fulls neigh6.unresolved_discards
 *       the neighbour tables, shared by every namespace of the machine (read once);
 *   Udp.RcvbufErrors ... Udp6RcvbufErrors ... TcpExt.ListenOverflows ... conntrack.drop ...
 *       per namespace (/proc/self/net/ follows the reader's namespace), summed.
 * Exit 1 with one line on stderr if a namespace cannot be entered. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rtnl.h"

/* A counter in a "Header: names\nHeader: values" file (/proc/net/snmp, netstat) or a
 * "name value" file (/proc/net/snmp6). */
struct snmp_counter {
	const char *file;
	const char *group; /* "Udp", "TcpExt"; NULL for snmp6's one name per line */
	const char *name;
};

static const struct snmp_counter SNMP[] = {
    {"snmp", "Udp", "RcvbufErrors"},
    {"snmp", "Udp", "SndbufErrors"},
    {"snmp", "Udp", "MemErrors"},
    {"snmp6", NULL, "Udp6RcvbufErrors"},
    {"snmp6", NULL, "Udp6SndbufErrors"},
    {"snmp6", NULL, "Udp6MemErrors"},
    {"netstat", "TcpExt", "ListenOverflows"},
    {"netstat", "TcpExt", "ListenDrops"},
    {"netstat", "TcpExt", "TCPBacklogDrop"},
    {"netstat", "TcpExt", "TCPReqQFullDrop"},
    {"netstat", "TcpExt", "TCPRcvQDrop"},
};
#define N_SNMP (sizeof(SNMP) / sizeof(SNMP[0]))

/* Columns of a per-CPU hex table (/proc/net/stat/...), summed over its rows. */
struct stat_counter {
	const char *file;
	const char *label;
	const char *column;
};

static const struct stat_counter NEIGH[] = {
    {"/proc/net/stat/arp_cache", "neigh4.table_fulls", "table_fulls"},
    {"/proc/net/stat/arp_cache", "neigh4.unresolved_discards", "unresolved_discards"},
    {"/proc/net/stat/ndisc_cache", "neigh6.table_fulls", "table_fulls"},
    {"/proc/net/stat/ndisc_cache", "neigh6.unresolved_discards", "unresolved_discards"},
};
static const struct stat_counter CONNTRACK[] = {
    {"/proc/net/stat/nf_conntrack", "conntrack.drop", "drop"},
    {"/proc/net/stat/nf_conntrack", "conntrack.early_drop", "early_drop"},
    {"/proc/net/stat/nf_conntrack", "conntrack.insert_failed", "insert_failed"},
};
#define N_NEIGH	    (sizeof(NEIGH) / sizeof(NEIGH[0]))
#define N_CONNTRACK (sizeof(CONNTRACK) / sizeof(CONNTRACK[0]))

/* The column's index in a whitespace-separated header line, or -1. */
static int column_of(char *header, const char *column)
{
	int i = 0;

	for (char *save = NULL, *w = strtok_r(header, " \t\n", &save); w;
	     w = strtok_r(NULL, " \t\n", &save), i++)
		if (strcmp(w, column) == 0)
			return i;
	return -1;
}

/* Sum of one column of a per-CPU hex table; 0 if the file does not exist (no conntrack in
 * this namespace). */
static unsigned long long stat_sum(const char *path, const char *column)
{
	char line[1024];
	unsigned long long sum = 0;
	FILE *f = fopen(path, "re");
	int col;

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f) || (col = column_of(line, column)) < 0) {
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *w = strtok_r(line, " \t\n", &save);

		for (int i = 0; w && i < col; i++)
			w = strtok_r(NULL, " \t\n", &save);
		if (w)
			sum += strtoull(w, NULL, 16);
	}
	fclose(f);
	return sum;
}

/* One counter of /proc/self/net/FILE; 0 if absent. */
static unsigned long long snmp_get(const struct snmp_counter *c)
{
	char path[64], names[8192], values[8192];
	unsigned long long v = 0;
	size_t glen = c->group ? strlen(c->group) : 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/net/%s", c->file);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(names, sizeof(names), f)) {
		if (!c->group) {
			char *sp = names + strcspn(names, " \t");

			if ((size_t)(sp - names) == strlen(c->name) &&
			    strncmp(names, c->name, (size_t)(sp - names)) == 0) {
				v = strtoull(sp, NULL, 10);
				break;
			}
			continue;
		}
		if (strncmp(names, c->group, glen) != 0 || names[glen] != ':' ||
		    !fgets(values, sizeof(values), f))
			continue;
		int col = column_of(names + glen + 1, c->name);
		char *save = NULL, *w = strtok_r(values + glen + 1, " \t\n", &save);

		for (int i = 0; w && i < col; i++)
			w = strtok_r(NULL, " \t\n", &save);
		if (col >= 0 && w)
			v = strtoull(w, NULL, 10);
		break;
	}
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	struct err err = ERR_INIT;
	unsigned long long snmp[N_SNMP] = {0}, ct[N_CONNTRACK] = {0};
	struct dirent *de;
	DIR *d;
	size_t plen, i;
	int namespaces = 0;

	if (argc != 2 || !*argv[1]) {
		fprintf(stderr, "usage: nsstat NAMESPACE-PREFIX\n");
		return 2;
	}
	plen = strlen(argv[1]);
	for (i = 0; i < N_NEIGH; i++)
		printf("%s %llu\n", NEIGH[i].label, stat_sum(NEIGH[i].file, NEIGH[i].column));
	d = opendir("/run/netns");
	if (!d) {
		fprintf(stderr, "nsstat: /run/netns: %s\n", strerror(errno));
		return 1;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, argv[1], plen) != 0)
			continue;
		if (rtnl_enter(de->d_name, &err) < 0) {
			fprintf(stderr, "nsstat: %s\n", err.msg);
			closedir(d);
			return 1;
		}
		namespaces++;
		for (i = 0; i < N_SNMP; i++)
			snmp[i] += snmp_get(&SNMP[i]);
		for (i = 0; i < N_CONNTRACK; i++)
			ct[i] += stat_sum(CONNTRACK[i].file, CONNTRACK[i].column);
	}
	closedir(d);
	for (i = 0; i < N_SNMP; i++)
		printf("%s%s%s %llu\n", SNMP[i].group ? SNMP[i].group : "",
		       SNMP[i].group ? "." : "", SNMP[i].name, snmp[i]);
	for (i = 0; i < N_CONNTRACK; i++)
		printf("%s %llu\n", CONNTRACK[i].label, ct[i]);
	printf("namespaces %d\n", namespaces);
	return 0;
}
