/*
 * A security label provider for pgark's tests: accepts any label on any object, so a server
 * can hold security labels without SELinux. Built by cli/tests/it/versions.rs against the
 * server headers that come with pg_dump 18 (target/pg/client).
 */
#include "postgres.h"
#include "fmgr.h"
#include "commands/seclabel.h"

PG_MODULE_MAGIC;

void _PG_init(void);

static void
accept_any_label(const ObjectAddress *object, const char *label)
{
}

void
_PG_init(void)
{
	register_label_provider("pgark_test", accept_any_label);
}
