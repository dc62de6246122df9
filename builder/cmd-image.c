/* kiln image CONFIG -o OUT — being written; see lib/disk.h. */
#include "common.h"
#include "commands.h"

int cmd_image(int argc, char **argv)
{
	error("kiln image: not implemented yet");
	return 1;
}
