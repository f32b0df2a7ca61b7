#define _GNU_SOURCE
#include <spawn.h>
#include "silo_shim.h"

int silo_spawn_addclosefrom(void *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, from);
}
