#include <stddef.h>

/// Bytes of heap in use (mallinfo2's uordblks).
size_t heap_in_use(void);
