/*
 * fakebash_hang: a "bash" that never finishes, and leaves a child behind
 * holding the output pipe, for the probe's timeout test: the probe must
 * kill the whole process group and still return in time.
 */
#include <unistd.h>

int main(void)
{
	(void)fork();
	for (;;)
		pause();
}
