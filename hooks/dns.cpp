// hooks/dns.cpp — name resolution: the syscall path with an immediate
// hand-off (a lookup may wait on the network for seconds). glibc's resolver
// uses its own internal socket calls, which no hook sees; the M blocks in
// them while another M runs this P's other Gs.
#include <netdb.h>

#include "hooks/hook.h"

using namespace gmp;

namespace {
template <class F>
auto lookup(F f) {
  G* g = entersyscallblock();
  auto r = f();
  if (g) exitsyscall(g);
  return r;
}
}  // namespace

GMP_HOOK int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints,
                         struct addrinfo** res) {
  return lookup([&] { return real::getaddrinfo(node, service, hints, res); });
}
GMP_HOOK int getnameinfo(const struct sockaddr* sa, socklen_t salen, char* host, socklen_t hostlen,
                         char* serv, socklen_t servlen, int flags) {
  return lookup([&] { return real::getnameinfo(sa, salen, host, hostlen, serv, servlen, flags); });
}
GMP_HOOK struct hostent* gethostbyname(const char* name) {
  return lookup([&] { return real::gethostbyname(name); });
}
GMP_HOOK struct hostent* gethostbyname2(const char* name, int af) {
  return lookup([&] { return real::gethostbyname2(name, af); });
}
GMP_HOOK struct hostent* gethostbyaddr(const void* addr, socklen_t len, int type) {
  return lookup([&] { return real::gethostbyaddr(addr, len, type); });
}
GMP_HOOK int gethostbyname_r(const char* name, struct hostent* ret, char* buf, size_t buflen,
                             struct hostent** result, int* h_errnop) {
  return lookup([&] { return real::gethostbyname_r(name, ret, buf, buflen, result, h_errnop); });
}
GMP_HOOK int gethostbyname2_r(const char* name, int af, struct hostent* ret, char* buf, size_t buflen,
                              struct hostent** result, int* h_errnop) {
  return lookup([&] { return real::gethostbyname2_r(name, af, ret, buf, buflen, result, h_errnop); });
}
GMP_HOOK int gethostbyaddr_r(const void* addr, socklen_t len, int type, struct hostent* ret, char* buf,
                             size_t buflen, struct hostent** result, int* h_errnop) {
  return lookup([&] { return real::gethostbyaddr_r(addr, len, type, ret, buf, buflen, result, h_errnop); });
}
