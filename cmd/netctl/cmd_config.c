/* netctl config: the effective configuration (./config.json over the defaults), checked
 * the way every command checks it. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "config.h"

static struct {
	bool json;
} args;

static void print_human(const struct config *c)
{
	char *protos = config_protocols_string(c->protocols);
	char *nets = config_networks_string(c->networks);
	char *secrets = strv_join(c->pull_secrets, ",");
	char wait[32], timeout[32];

	time_format_duration(c->pod_wait_ms, wait, sizeof(wait));
	time_format_duration(c->cmd_timeout_ms, timeout, sizeof(timeout));
	printf("source              %s\n", c->source ? c->source : "defaults (no ./config.json)");
	printf("namespace           %s\n", c->namespace);
	printf("version             %s\n", c->version);
	printf("protocol            %s\n", protos);
	printf("mode (networks)     %s\n", nets);
	printf("port                %ld\n", c->port);
	printf("maxNum              %ld\n", c->max_num);
	printf("cmdTimeout          %s\n", timeout);
	printf("podWaitTime         %s\n", wait);
	printf("srcKubeConfig       %s\n", c->src_kubeconfig);
	printf("dstKubeConfig       %s\n", c->dst_kubeconfig ? c->dst_kubeconfig : "-");
	printf("srcImageRepository  %s\n", c->src_image_repo);
	printf("dstImageRepository  %s\n", c->dst_image_repo ? c->dst_image_repo : "-");
	printf("imagePullSecrets    %s\n", secrets[0] ? secrets : "-");
	printf("autoClean           %s\n", c->auto_clean ? "true" : "false");
	free(secrets);
	free(protos);
	free(nets);
}

static int config_exec(struct cmd_ctx *ctx)
{
	struct err err = ERR_INIT;
	struct config c;

	if (cmd_load_config(&c, &err) < 0) {
		config_release(&c);
		return cmd_fail(&err);
	}
	if (args.json) {
		char *text = config_to_json(&c);

		fputs(text, stdout);
		free(text);
	} else {
		print_human(&c);
	}
	config_release(&c);
	return EXIT_OK;
}

static const struct cmd_opt config_opts[] = {
    {OPT_FLAG, 0, "json", NULL, "print the effective config.json", &args.json, 0, 0, NULL},
    {OPT_END},
};

const struct cmd_entry cmd_config_entry = {
    .name = "config",
    .summary = "Check ./config.json and show the effective configuration.",
    .synopsis = "config [--json]",
    .details = "Reads ./config.json (when present) over the defaults, with the checks every\n"
	       "command applies: a bad field fails with exit status 2 and names the field;\n"
	       "an unknown field is a warning.\n",
    .opts = config_opts,
    .exec = config_exec,
};
