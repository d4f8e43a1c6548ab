#include "drivers/ident.h"

#include <errno.h>
#include <string.h>

int ident_ascii(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	size_t i = 0, end = n;

	while (end && (src[end - 1] == ' ' || src[end - 1] == 0))
		end--;
	while (i < end && src[i] == ' ')
		i++;
	if (end - i >= cap)
		return -EINVAL;
	for (size_t k = i; k < end; k++)
		if (src[k] < 0x20 || src[k] > 0x7e)
			return -EINVAL;
	memcpy(dst, src + i, end - i);
	dst[end - i] = 0;
	return 0;
}
