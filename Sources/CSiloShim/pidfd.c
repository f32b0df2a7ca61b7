#define _GNU_SOURCE
#include "silo_shim.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int silo_pidfd_send_signal(int pidfd, int sig, unsigned int flags) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags); }
size_t silo_cmsg_space(size_t len) { return CMSG_SPACE(len); }
size_t silo_cmsg_len(size_t len) { return CMSG_LEN(len); }
void *silo_cmsg_firsthdr(void *msghdr) { return CMSG_FIRSTHDR((struct msghdr *)msghdr); }
void *silo_cmsg_data(void *cmsghdr) { return CMSG_DATA((struct cmsghdr *)cmsghdr); }
