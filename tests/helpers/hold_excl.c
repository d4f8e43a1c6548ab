/*
 * hold_excl DEVICE READYFILE: open DEVICE read-only with O_EXCL (the claim a
 * mounted filesystem or another wipe tool holds), create READYFILE, then
 * sleep until killed.  Tests use it to make a device busy.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd, r;

	if (argc != 3) {
		fprintf(stderr, "usage: hold_excl DEVICE READYFILE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	r = open(argv[2], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (r < 0) {
		perror(argv[2]);
		return 1;
	}
	close(r);
	for (;;)
		pause();
}
