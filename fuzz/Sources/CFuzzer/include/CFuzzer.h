#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver, called from each target's main.swift. SwiftPM renames an executable's
// entry point (<Module>_main) and links `main` to it, so libFuzzer's own main never runs; the
// target's top-level code hands control to the driver instead.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test_one_input)(const uint8_t *data, size_t size));
