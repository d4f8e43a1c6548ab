/* The version and the default state directory, for every layer. */
#ifndef SZ_VERSION_H
#define SZ_VERSION_H

#define SZ_VERSION "0.1.0"
#define SZ_DEFAULT_STATE_DIR "/var/lib/sanitizerd"

#endif
