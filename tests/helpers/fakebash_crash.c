/*
 * fakebash_crash: a "bash" that dies of SIGSEGV before doing anything, for
 * the probe's test that a crash counts as vulnerable.
 */
#include <signal.h>
#include <stdio.h>

int main(void)
{
	fputs("fakebash: about to crash\n", stderr);
	raise(SIGSEGV);
	return 0;
}
