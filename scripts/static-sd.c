/* For `make static` on Debian: libpcap.a needs libdbus-1.a, and libdbus-1.a takes two functions from libsystemd,
   which Debian ships only as a shared library. dbus calls them only to take over listening sockets that systemd
   passes to a D-Bus *server* it started (socket activation); iftop is never one. These are libsystemd's answers
   when systemd passed no sockets: no sockets (sd_listen_fds(3) returns 0), and not a matching socket. */
#ifdef __cplusplus
extern "C" {
#endif
int sd_listen_fds(int unset_environment);
int sd_is_socket(int fd, int family, int type, int listening);
int sd_listen_fds(int unset_environment) { (void)unset_environment; return 0; }
int sd_is_socket(int fd, int family, int type, int listening) { (void)fd; (void)family; (void)type; (void)listening; return 0; }
#ifdef __cplusplus
}
#endif
