// Sockets as strace 6.1 prints them: socket(2)'s arguments, socket options,
// addresses and message headers. As in format_flags.cc, values spelled out
// as numbers are ones glibc's headers lack: kernel-internal ones
// (<linux/socket.h>), or ones in kernel headers that clash with glibc's.

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>

#include "sentry/strace/format.h"
#include "sentry/strace/format_internal.h"

namespace moat::sentry::strace {

using detail::flags;
using detail::hex;
using detail::Named;
using detail::xval;

namespace {

constexpr Named kAddressFamilies[] = {
    MOAT_NAMED(AF_UNSPEC),     MOAT_NAMED(AF_UNIX),      MOAT_NAMED(AF_INET),
    MOAT_NAMED(AF_AX25),       MOAT_NAMED(AF_IPX),       MOAT_NAMED(AF_APPLETALK),
    MOAT_NAMED(AF_NETROM),     MOAT_NAMED(AF_BRIDGE),    MOAT_NAMED(AF_ATMPVC),
    MOAT_NAMED(AF_X25),        MOAT_NAMED(AF_INET6),     MOAT_NAMED(AF_ROSE),
    MOAT_NAMED(AF_DECnet),     MOAT_NAMED(AF_NETBEUI),   MOAT_NAMED(AF_SECURITY),
    MOAT_NAMED(AF_KEY),        MOAT_NAMED(AF_NETLINK),   MOAT_NAMED(AF_PACKET),
    MOAT_NAMED(AF_ASH),        MOAT_NAMED(AF_ECONET),    MOAT_NAMED(AF_ATMSVC),
    MOAT_NAMED(AF_RDS),        MOAT_NAMED(AF_SNA),       MOAT_NAMED(AF_IRDA),
    MOAT_NAMED(AF_PPPOX),      MOAT_NAMED(AF_WANPIPE),   MOAT_NAMED(AF_LLC),
    MOAT_NAMED(AF_IB),         MOAT_NAMED(AF_MPLS),      MOAT_NAMED(AF_CAN),
    MOAT_NAMED(AF_TIPC),       MOAT_NAMED(AF_BLUETOOTH), MOAT_NAMED(AF_IUCV),
    MOAT_NAMED(AF_RXRPC),      MOAT_NAMED(AF_ISDN),      MOAT_NAMED(AF_PHONET),
    MOAT_NAMED(AF_IEEE802154), MOAT_NAMED(AF_CAIF),      MOAT_NAMED(AF_ALG),
    MOAT_NAMED(AF_NFC),        MOAT_NAMED(AF_VSOCK),     MOAT_NAMED(AF_KCM),
    MOAT_NAMED(AF_QIPCRTR),    MOAT_NAMED(AF_SMC),       MOAT_NAMED(AF_XDP),
    MOAT_NAMED(AF_MCTP),
};

// vsock takes its address family as its option level.
constexpr Named kSocketLevels[] = {
    MOAT_NAMED(SOL_IP),        MOAT_NAMED(SOL_SOCKET), MOAT_NAMED(SOL_TCP),
    MOAT_NAMED(SOL_UDP),       MOAT_NAMED(AF_VSOCK),   MOAT_NAMED(SOL_IPV6),
    MOAT_NAMED(SOL_ICMPV6),    {100, "SOL_CAN_BASE"},  {101, "SOL_CAN_RAW"},
    {132, "SOL_SCTP"},         {136, "SOL_UDPLITE"},   MOAT_NAMED(SOL_RAW),
    {256, "SOL_IPX"},          {257, "SOL_AX25"},      {258, "SOL_ATALK"},
    {259, "SOL_NETROM"},       {260, "SOL_ROSE"},      MOAT_NAMED(SOL_DECNET),
    MOAT_NAMED(SOL_X25),       MOAT_NAMED(SOL_PACKET), MOAT_NAMED(SOL_ATM),
    MOAT_NAMED(SOL_AAL),       MOAT_NAMED(SOL_IRDA),   MOAT_NAMED(SOL_NETBEUI),
    MOAT_NAMED(SOL_LLC),       MOAT_NAMED(SOL_DCCP),   MOAT_NAMED(SOL_NETLINK),
    MOAT_NAMED(SOL_TIPC),      MOAT_NAMED(SOL_RXRPC),  MOAT_NAMED(SOL_PPPOL2TP),
    MOAT_NAMED(SOL_BLUETOOTH), MOAT_NAMED(SOL_PNPIPE), MOAT_NAMED(SOL_RDS),
    MOAT_NAMED(SOL_IUCV),      MOAT_NAMED(SOL_CAIF),   MOAT_NAMED(SOL_ALG),
    MOAT_NAMED(SOL_NFC),       MOAT_NAMED(SOL_KCM),    MOAT_NAMED(SOL_TLS),
    MOAT_NAMED(SOL_XDP),
};

}  // namespace

// --- socket(2) ---------------------------------------------------------------

std::string format_socket_domain(uint64_t domain) {
  return xval(kAddressFamilies, domain, "AF_???");
}

std::string format_socket_type(uint64_t type) {
  static constexpr Named kTypes[] = {
      MOAT_NAMED(SOCK_STREAM), MOAT_NAMED(SOCK_DGRAM),     MOAT_NAMED(SOCK_RAW),
      MOAT_NAMED(SOCK_RDM),    MOAT_NAMED(SOCK_SEQPACKET), MOAT_NAMED(SOCK_DCCP),
      MOAT_NAMED(SOCK_PACKET),
  };
  static constexpr Named kTypeFlags[] = {
      MOAT_NAMED(SOCK_CLOEXEC),
      MOAT_NAMED(SOCK_NONBLOCK),
  };
  // The type in the low bits (the kernel's SOCK_TYPE_MASK), then the flags.
  constexpr uint64_t kTypeMask = 0xf;
  if (const char* name = detail::find_name(kTypes, type & kTypeMask)) {
    const uint64_t rest = type & ~kTypeMask;
    return rest == 0 ? name : std::string(name) + '|' + flags(kTypeFlags, rest, "SOCK_???");
  }
  return flags(kTypeFlags, type, "SOCK_???");
}

std::string format_socket_protocol(uint64_t domain, uint64_t protocol) {
  static constexpr Named kInet[] = {
      MOAT_NAMED(IPPROTO_IP),      MOAT_NAMED(IPPROTO_ICMP),     MOAT_NAMED(IPPROTO_IGMP),
      MOAT_NAMED(IPPROTO_IPIP),    MOAT_NAMED(IPPROTO_TCP),      MOAT_NAMED(IPPROTO_EGP),
      MOAT_NAMED(IPPROTO_PUP),     MOAT_NAMED(IPPROTO_UDP),      MOAT_NAMED(IPPROTO_IDP),
      MOAT_NAMED(IPPROTO_TP),      MOAT_NAMED(IPPROTO_DCCP),     MOAT_NAMED(IPPROTO_IPV6),
      MOAT_NAMED(IPPROTO_ROUTING), MOAT_NAMED(IPPROTO_FRAGMENT), MOAT_NAMED(IPPROTO_RSVP),
      MOAT_NAMED(IPPROTO_GRE),     MOAT_NAMED(IPPROTO_ESP),      MOAT_NAMED(IPPROTO_AH),
      MOAT_NAMED(IPPROTO_ICMPV6),  MOAT_NAMED(IPPROTO_NONE),     MOAT_NAMED(IPPROTO_DSTOPTS),
      MOAT_NAMED(IPPROTO_MTP),     MOAT_NAMED(IPPROTO_BEETPH),   MOAT_NAMED(IPPROTO_ENCAP),
      MOAT_NAMED(IPPROTO_PIM),     MOAT_NAMED(IPPROTO_COMP),     {115, "IPPROTO_L2TP"},
      MOAT_NAMED(IPPROTO_SCTP),    MOAT_NAMED(IPPROTO_MH),       MOAT_NAMED(IPPROTO_UDPLITE),
      MOAT_NAMED(IPPROTO_MPLS),    MOAT_NAMED(IPPROTO_ETHERNET), MOAT_NAMED(IPPROTO_RAW),
      MOAT_NAMED(IPPROTO_MPTCP),
  };
  static constexpr Named kNetlink[] = {
      MOAT_NAMED(NETLINK_ROUTE),      MOAT_NAMED(NETLINK_UNUSED),
      MOAT_NAMED(NETLINK_USERSOCK),   MOAT_NAMED(NETLINK_FIREWALL),
      MOAT_NAMED(NETLINK_SOCK_DIAG),  MOAT_NAMED(NETLINK_NFLOG),
      MOAT_NAMED(NETLINK_XFRM),       MOAT_NAMED(NETLINK_SELINUX),
      MOAT_NAMED(NETLINK_ISCSI),      MOAT_NAMED(NETLINK_AUDIT),
      MOAT_NAMED(NETLINK_FIB_LOOKUP), MOAT_NAMED(NETLINK_CONNECTOR),
      MOAT_NAMED(NETLINK_NETFILTER),  MOAT_NAMED(NETLINK_IP6_FW),
      MOAT_NAMED(NETLINK_DNRTMSG),    MOAT_NAMED(NETLINK_KOBJECT_UEVENT),
      MOAT_NAMED(NETLINK_GENERIC),    MOAT_NAMED(NETLINK_SCSITRANSPORT),
      MOAT_NAMED(NETLINK_ECRYPTFS),   MOAT_NAMED(NETLINK_RDMA),
      MOAT_NAMED(NETLINK_CRYPTO),     MOAT_NAMED(NETLINK_SMC),
  };
  switch (domain) {
    case AF_INET:
    case AF_INET6:
      return xval(kInet, protocol, "IPPROTO_???");
    case AF_NETLINK:
      return xval(kNetlink, protocol, "NETLINK_???");
    default:
      // FIXME: strace also names AF_PACKET's ethernet protocols and a few
      // other families' protocols.
      return std::to_string(protocol);
  }
}

std::string format_msg_flags(uint64_t value) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(MSG_OOB),          MOAT_NAMED(MSG_PEEK),
      MOAT_NAMED(MSG_DONTROUTE),    MOAT_NAMED(MSG_CTRUNC),
      {0x10, "MSG_PROBE"},          MOAT_NAMED(MSG_TRUNC),
      MOAT_NAMED(MSG_DONTWAIT),     MOAT_NAMED(MSG_EOR),
      MOAT_NAMED(MSG_WAITALL),      MOAT_NAMED(MSG_FIN),
      MOAT_NAMED(MSG_SYN),          MOAT_NAMED(MSG_CONFIRM),
      MOAT_NAMED(MSG_RST),          MOAT_NAMED(MSG_ERRQUEUE),
      MOAT_NAMED(MSG_NOSIGNAL),     MOAT_NAMED(MSG_MORE),
      MOAT_NAMED(MSG_WAITFORONE),   {0x20000, "MSG_SENDPAGE_NOTLAST"},
      MOAT_NAMED(MSG_BATCH),        {0x80000, "MSG_NO_SHARED_FRAGS"},
      MOAT_NAMED(MSG_ZEROCOPY),     MOAT_NAMED(MSG_FASTOPEN),
      MOAT_NAMED(MSG_CMSG_CLOEXEC), {0x80000000, "MSG_CMSG_COMPAT"},
  };
  return flags(kTable, value, "MSG_???");
}

std::string format_shutdown_how(uint64_t how) {
  static constexpr Named kTable[] = {
      MOAT_NAMED(SHUT_RD),
      MOAT_NAMED(SHUT_WR),
      MOAT_NAMED(SHUT_RDWR),
  };
  return xval(kTable, how, "SHUT_???");
}

// --- socket options ----------------------------------------------------------

std::string format_sockopt_level(uint64_t level) {
  return xval(kSocketLevels, static_cast<uint32_t>(level), "SOL_??");
}

std::string format_sockopt_name(uint64_t level, uint64_t name) {
  // On 64-bit targets SO_RCVTIMEO and friends are the _OLD values; strace
  // prints the _OLD names. SO_ATTACH_FILTER is also getsockopt's
  // SO_GET_FILTER, which strace names for getsockopt only.
  static constexpr Named kSocket[] = {
      MOAT_NAMED(SO_DEBUG),
      MOAT_NAMED(SO_REUSEADDR),
      MOAT_NAMED(SO_TYPE),
      MOAT_NAMED(SO_ERROR),
      MOAT_NAMED(SO_DONTROUTE),
      MOAT_NAMED(SO_BROADCAST),
      MOAT_NAMED(SO_SNDBUF),
      MOAT_NAMED(SO_RCVBUF),
      MOAT_NAMED(SO_KEEPALIVE),
      MOAT_NAMED(SO_OOBINLINE),
      MOAT_NAMED(SO_NO_CHECK),
      MOAT_NAMED(SO_PRIORITY),
      MOAT_NAMED(SO_LINGER),
      MOAT_NAMED(SO_BSDCOMPAT),
      MOAT_NAMED(SO_REUSEPORT),
      MOAT_NAMED(SO_PASSCRED),
      MOAT_NAMED(SO_PEERCRED),
      MOAT_NAMED(SO_RCVLOWAT),
      MOAT_NAMED(SO_SNDLOWAT),
      MOAT_NAMED(SO_RCVTIMEO_OLD),
      MOAT_NAMED(SO_SNDTIMEO_OLD),
      MOAT_NAMED(SO_SECURITY_AUTHENTICATION),
      MOAT_NAMED(SO_SECURITY_ENCRYPTION_TRANSPORT),
      MOAT_NAMED(SO_SECURITY_ENCRYPTION_NETWORK),
      MOAT_NAMED(SO_BINDTODEVICE),
      MOAT_NAMED(SO_ATTACH_FILTER),
      MOAT_NAMED(SO_DETACH_FILTER),
      MOAT_NAMED(SO_PEERNAME),
      MOAT_NAMED(SO_TIMESTAMP_OLD),
      MOAT_NAMED(SO_ACCEPTCONN),
      MOAT_NAMED(SO_PEERSEC),
      MOAT_NAMED(SO_SNDBUFFORCE),
      MOAT_NAMED(SO_RCVBUFFORCE),
      MOAT_NAMED(SO_PASSSEC),
      MOAT_NAMED(SO_TIMESTAMPNS_OLD),
      MOAT_NAMED(SO_MARK),
      MOAT_NAMED(SO_TIMESTAMPING_OLD),
      MOAT_NAMED(SO_PROTOCOL),
      MOAT_NAMED(SO_DOMAIN),
      MOAT_NAMED(SO_RXQ_OVFL),
      MOAT_NAMED(SO_WIFI_STATUS),
      MOAT_NAMED(SO_PEEK_OFF),
      MOAT_NAMED(SO_NOFCS),
      MOAT_NAMED(SO_LOCK_FILTER),
      MOAT_NAMED(SO_SELECT_ERR_QUEUE),
      MOAT_NAMED(SO_BUSY_POLL),
      MOAT_NAMED(SO_MAX_PACING_RATE),
      MOAT_NAMED(SO_BPF_EXTENSIONS),
      MOAT_NAMED(SO_INCOMING_CPU),
      MOAT_NAMED(SO_ATTACH_BPF),
      MOAT_NAMED(SO_ATTACH_REUSEPORT_CBPF),
      MOAT_NAMED(SO_ATTACH_REUSEPORT_EBPF),
      MOAT_NAMED(SO_CNX_ADVICE),
      MOAT_NAMED(SO_MEMINFO),
      MOAT_NAMED(SO_INCOMING_NAPI_ID),
      MOAT_NAMED(SO_COOKIE),
      MOAT_NAMED(SO_PEERGROUPS),
      MOAT_NAMED(SO_ZEROCOPY),
      MOAT_NAMED(SO_TXTIME),
      MOAT_NAMED(SO_BINDTOIFINDEX),
      MOAT_NAMED(SO_TIMESTAMP_NEW),
      MOAT_NAMED(SO_TIMESTAMPNS_NEW),
      MOAT_NAMED(SO_TIMESTAMPING_NEW),
      MOAT_NAMED(SO_RCVTIMEO_NEW),
      MOAT_NAMED(SO_SNDTIMEO_NEW),
      MOAT_NAMED(SO_DETACH_REUSEPORT_BPF),
      MOAT_NAMED(SO_PREFER_BUSY_POLL),
      MOAT_NAMED(SO_BUSY_POLL_BUDGET),
      MOAT_NAMED(SO_NETNS_COOKIE),
      MOAT_NAMED(SO_BUF_LOCK),
      MOAT_NAMED(SO_RESERVE_MEM),
      MOAT_NAMED(SO_TXREHASH),
      MOAT_NAMED(SO_RCVMARK),
  };
  static constexpr Named kIp[] = {
      MOAT_NAMED(IP_TOS),
      MOAT_NAMED(IP_TTL),
      MOAT_NAMED(IP_HDRINCL),
      MOAT_NAMED(IP_OPTIONS),
      MOAT_NAMED(IP_ROUTER_ALERT),
      MOAT_NAMED(IP_RECVOPTS),
      MOAT_NAMED(IP_RETOPTS),
      MOAT_NAMED(IP_PKTINFO),
      MOAT_NAMED(IP_PKTOPTIONS),
      MOAT_NAMED(IP_MTU_DISCOVER),
      MOAT_NAMED(IP_RECVERR),
      MOAT_NAMED(IP_RECVTTL),
      MOAT_NAMED(IP_RECVTOS),
      MOAT_NAMED(IP_MTU),
      MOAT_NAMED(IP_FREEBIND),
      MOAT_NAMED(IP_IPSEC_POLICY),
      MOAT_NAMED(IP_XFRM_POLICY),
      MOAT_NAMED(IP_PASSSEC),
      MOAT_NAMED(IP_TRANSPARENT),
      MOAT_NAMED(IP_ORIGDSTADDR),
      MOAT_NAMED(IP_MINTTL),
      MOAT_NAMED(IP_NODEFRAG),
      MOAT_NAMED(IP_CHECKSUM),
      MOAT_NAMED(IP_BIND_ADDRESS_NO_PORT),
      MOAT_NAMED(IP_RECVFRAGSIZE),
      MOAT_NAMED(IP_RECVERR_RFC4884),
      MOAT_NAMED(IP_MULTICAST_IF),
      MOAT_NAMED(IP_MULTICAST_TTL),
      MOAT_NAMED(IP_MULTICAST_LOOP),
      MOAT_NAMED(IP_ADD_MEMBERSHIP),
      MOAT_NAMED(IP_DROP_MEMBERSHIP),
      MOAT_NAMED(IP_UNBLOCK_SOURCE),
      MOAT_NAMED(IP_BLOCK_SOURCE),
      MOAT_NAMED(IP_ADD_SOURCE_MEMBERSHIP),
      MOAT_NAMED(IP_DROP_SOURCE_MEMBERSHIP),
      MOAT_NAMED(IP_MSFILTER),
      MOAT_NAMED(MCAST_JOIN_GROUP),
      MOAT_NAMED(MCAST_BLOCK_SOURCE),
      MOAT_NAMED(MCAST_UNBLOCK_SOURCE),
      MOAT_NAMED(MCAST_LEAVE_GROUP),
      MOAT_NAMED(MCAST_JOIN_SOURCE_GROUP),
      MOAT_NAMED(MCAST_LEAVE_SOURCE_GROUP),
      MOAT_NAMED(MCAST_MSFILTER),
      MOAT_NAMED(IP_MULTICAST_ALL),
      MOAT_NAMED(IP_UNICAST_IF),
  };
  static constexpr Named kIpv6[] = {
      MOAT_NAMED(IPV6_ADDRFORM),
      MOAT_NAMED(IPV6_2292PKTINFO),
      MOAT_NAMED(IPV6_2292HOPOPTS),
      MOAT_NAMED(IPV6_2292DSTOPTS),
      MOAT_NAMED(IPV6_2292RTHDR),
      MOAT_NAMED(IPV6_2292PKTOPTIONS),
      MOAT_NAMED(IPV6_CHECKSUM),
      MOAT_NAMED(IPV6_2292HOPLIMIT),
      MOAT_NAMED(IPV6_NEXTHOP),
      MOAT_NAMED(IPV6_AUTHHDR),
      {11, "IPV6_FLOWINFO"},
      MOAT_NAMED(IPV6_UNICAST_HOPS),
      MOAT_NAMED(IPV6_MULTICAST_IF),
      MOAT_NAMED(IPV6_MULTICAST_HOPS),
      MOAT_NAMED(IPV6_MULTICAST_LOOP),
      MOAT_NAMED(IPV6_ADD_MEMBERSHIP),
      MOAT_NAMED(IPV6_DROP_MEMBERSHIP),
      MOAT_NAMED(IPV6_ROUTER_ALERT),
      MOAT_NAMED(IPV6_MTU_DISCOVER),
      MOAT_NAMED(IPV6_MTU),
      MOAT_NAMED(IPV6_RECVERR),
      MOAT_NAMED(IPV6_V6ONLY),
      MOAT_NAMED(IPV6_JOIN_ANYCAST),
      MOAT_NAMED(IPV6_LEAVE_ANYCAST),
      MOAT_NAMED(IPV6_MULTICAST_ALL),
      MOAT_NAMED(IPV6_ROUTER_ALERT_ISOLATE),
      MOAT_NAMED(IPV6_RECVERR_RFC4884),
      {32, "IPV6_FLOWLABEL_MGR"},
      {33, "IPV6_FLOWINFO_SEND"},
      MOAT_NAMED(IPV6_IPSEC_POLICY),
      MOAT_NAMED(IPV6_XFRM_POLICY),
      MOAT_NAMED(IPV6_HDRINCL),
      MOAT_NAMED(MCAST_JOIN_GROUP),
      MOAT_NAMED(MCAST_BLOCK_SOURCE),
      MOAT_NAMED(MCAST_UNBLOCK_SOURCE),
      MOAT_NAMED(MCAST_LEAVE_GROUP),
      MOAT_NAMED(MCAST_JOIN_SOURCE_GROUP),
      MOAT_NAMED(MCAST_LEAVE_SOURCE_GROUP),
      MOAT_NAMED(MCAST_MSFILTER),
      MOAT_NAMED(IPV6_RECVPKTINFO),
      MOAT_NAMED(IPV6_PKTINFO),
      MOAT_NAMED(IPV6_RECVHOPLIMIT),
      MOAT_NAMED(IPV6_HOPLIMIT),
      MOAT_NAMED(IPV6_RECVHOPOPTS),
      MOAT_NAMED(IPV6_HOPOPTS),
      MOAT_NAMED(IPV6_RTHDRDSTOPTS),
      MOAT_NAMED(IPV6_RECVRTHDR),
      MOAT_NAMED(IPV6_RTHDR),
      MOAT_NAMED(IPV6_RECVDSTOPTS),
      MOAT_NAMED(IPV6_DSTOPTS),
      MOAT_NAMED(IPV6_RECVPATHMTU),
      MOAT_NAMED(IPV6_PATHMTU),
      MOAT_NAMED(IPV6_DONTFRAG),
      MOAT_NAMED(IPV6_RECVTCLASS),
      MOAT_NAMED(IPV6_TCLASS),
      MOAT_NAMED(IPV6_AUTOFLOWLABEL),
      MOAT_NAMED(IPV6_ADDR_PREFERENCES),
      MOAT_NAMED(IPV6_MINHOPCOUNT),
      MOAT_NAMED(IPV6_ORIGDSTADDR),
      MOAT_NAMED(IPV6_TRANSPARENT),
      MOAT_NAMED(IPV6_UNICAST_IF),
      MOAT_NAMED(IPV6_RECVFRAGSIZE),
      MOAT_NAMED(IPV6_FREEBIND),
  };
  static constexpr Named kTcp[] = {
      MOAT_NAMED(TCP_NODELAY),
      MOAT_NAMED(TCP_MAXSEG),
      MOAT_NAMED(TCP_CORK),
      MOAT_NAMED(TCP_KEEPIDLE),
      MOAT_NAMED(TCP_KEEPINTVL),
      MOAT_NAMED(TCP_KEEPCNT),
      MOAT_NAMED(TCP_SYNCNT),
      MOAT_NAMED(TCP_LINGER2),
      MOAT_NAMED(TCP_DEFER_ACCEPT),
      MOAT_NAMED(TCP_WINDOW_CLAMP),
      MOAT_NAMED(TCP_INFO),
      MOAT_NAMED(TCP_QUICKACK),
      MOAT_NAMED(TCP_CONGESTION),
      MOAT_NAMED(TCP_MD5SIG),
      MOAT_NAMED(TCP_COOKIE_TRANSACTIONS),
      MOAT_NAMED(TCP_THIN_LINEAR_TIMEOUTS),
      MOAT_NAMED(TCP_THIN_DUPACK),
      MOAT_NAMED(TCP_USER_TIMEOUT),
      MOAT_NAMED(TCP_REPAIR),
      MOAT_NAMED(TCP_REPAIR_QUEUE),
      MOAT_NAMED(TCP_QUEUE_SEQ),
      MOAT_NAMED(TCP_REPAIR_OPTIONS),
      MOAT_NAMED(TCP_FASTOPEN),
      MOAT_NAMED(TCP_TIMESTAMP),
      MOAT_NAMED(TCP_NOTSENT_LOWAT),
      MOAT_NAMED(TCP_CC_INFO),
      MOAT_NAMED(TCP_SAVE_SYN),
      MOAT_NAMED(TCP_SAVED_SYN),
      MOAT_NAMED(TCP_REPAIR_WINDOW),
      MOAT_NAMED(TCP_FASTOPEN_CONNECT),
      MOAT_NAMED(TCP_ULP),
      MOAT_NAMED(TCP_MD5SIG_EXT),
      MOAT_NAMED(TCP_FASTOPEN_KEY),
      MOAT_NAMED(TCP_FASTOPEN_NO_COOKIE),
      MOAT_NAMED(TCP_ZEROCOPY_RECEIVE),
      MOAT_NAMED(TCP_INQ),
      MOAT_NAMED(TCP_TX_DELAY),
  };
  static constexpr Named kUdp[] = {
      MOAT_NAMED(UDP_CORK),         MOAT_NAMED(UDP_ENCAP),   MOAT_NAMED(UDP_NO_CHECK6_TX),
      MOAT_NAMED(UDP_NO_CHECK6_RX), MOAT_NAMED(UDP_SEGMENT), MOAT_NAMED(UDP_GRO),
  };
  static constexpr Named kNetlink[] = {
      MOAT_NAMED(NETLINK_ADD_MEMBERSHIP),   MOAT_NAMED(NETLINK_DROP_MEMBERSHIP),
      MOAT_NAMED(NETLINK_PKTINFO),          MOAT_NAMED(NETLINK_BROADCAST_ERROR),
      MOAT_NAMED(NETLINK_NO_ENOBUFS),       MOAT_NAMED(NETLINK_RX_RING),
      MOAT_NAMED(NETLINK_TX_RING),          MOAT_NAMED(NETLINK_LISTEN_ALL_NSID),
      MOAT_NAMED(NETLINK_LIST_MEMBERSHIPS), MOAT_NAMED(NETLINK_CAP_ACK),
      MOAT_NAMED(NETLINK_EXT_ACK),          MOAT_NAMED(NETLINK_GET_STRICT_CHK),
  };
  const auto n = static_cast<uint32_t>(name);
  switch (static_cast<uint32_t>(level)) {
    case SOL_SOCKET:
      return xval(kSocket, n, "SO_???");
    case SOL_IP:
      return xval(kIp, n, "IP_???");
    case SOL_IPV6:
      return xval(kIpv6, n, "IPV6_???");
    case SOL_TCP:
      return xval(kTcp, n, "TCP_???");
    case SOL_UDP:
      return xval(kUdp, n, "UDP_???");
    case SOL_NETLINK:
      return xval(kNetlink, n, "NETLINK_???");
    default:
      // FIXME: strace names the options of a dozen rarer levels too.
      return std::to_string(n);
  }
}

// --- addresses -----------------------------------------------------------------

namespace {

// The sockaddr bytes past sa_family, `len` of them in all; `buf` is zeroed
// past `len`, as strace's is.
std::string sockaddr_fields(const char* buf, size_t len) {
  sa_family_t family;
  std::memcpy(&family, buf, sizeof(family));
  const char* data = buf + sizeof(family);
  const size_t data_len = len - sizeof(family);
  switch (family) {
    case AF_UNIX: {
      const size_t path_len = std::min(len, sizeof(sockaddr_un)) - sizeof(family);
      const char* path = data;
      if (path[0] != '\0') {
        return "sun_path=" + quote(std::string_view(path, strnlen(path, path_len)), false);
      }
      // An abstract name: every byte counts, NULs included.
      return "sun_path=@" + quote(std::string_view(path + 1, path_len - 1), false);
    }
    case AF_INET:
      if (len >= sizeof(sockaddr_in)) {
        sockaddr_in in;
        std::memcpy(&in, buf, sizeof(in));
        char text[INET_ADDRSTRLEN] = "";
        inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
        return fmt::format("sin_port=htons({}), sin_addr=inet_addr(\"{}\")", ntohs(in.sin_port),
                           text);
      }
      break;
    case AF_INET6:
      // strace decodes AF_INET6 from the address on; the scope id is optional.
      if (len >= offsetof(sockaddr_in6, sin6_scope_id)) {
        sockaddr_in6 in6;
        std::memcpy(&in6, buf, sizeof(in6));
        char text[INET6_ADDRSTRLEN] = "";
        inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
        std::string out = fmt::format(
            "sin6_port=htons({}), sin6_flowinfo=htonl({}), inet_pton(AF_INET6, \"{}\", "
            "&sin6_addr)",
            ntohs(in6.sin6_port), ntohl(in6.sin6_flowinfo), text);
        if (len > offsetof(sockaddr_in6, sin6_scope_id)) {
          // FIXME: strace prints a link-local scope as if_nametoindex("eth0")
          // when the host has that interface.
          out += fmt::format(", sin6_scope_id={}", in6.sin6_scope_id);
        }
        return out;
      }
      break;
    case AF_NETLINK:
      if (len >= sizeof(sockaddr_nl)) {
        sockaddr_nl nl;
        std::memcpy(&nl, buf, sizeof(nl));
        std::string out;
        if (nl.nl_pad != 0) {
          out = fmt::format("nl_pad={}, ", hex(nl.nl_pad));
        }
        // strace's %#0*x with the field's width: 00000000, 0x000005.
        const std::string groups =
            nl.nl_groups == 0 ? "00000000" : fmt::format("{:#08x}", nl.nl_groups);
        return out +
               fmt::format("nl_pid={}, nl_groups={}", static_cast<int32_t>(nl.nl_pid), groups);
      }
      break;
    default:
      // FIXME: strace decodes AF_PACKET, AF_BLUETOOTH and other families'
      // fields; those print here as raw sa_data.
      break;
  }
  return "sa_data=" + quote(std::string_view(data, data_len), false);
}

}  // namespace

std::string format_sockaddr(const GuestReader& mem, uint64_t addr, uint64_t len) {
  const auto addrlen = static_cast<int32_t>(len);
  if (addrlen < 2) {
    return format_address(addr);
  }
  if (addr == 0) {
    return "NULL";
  }
  char buf[sizeof(sockaddr_storage)] = {};
  const size_t n = std::min<size_t>(static_cast<size_t>(addrlen), sizeof(sockaddr_storage));
  if (!mem.read(addr, buf, n)) {
    return format_address(addr);
  }
  sa_family_t family;
  std::memcpy(&family, buf, sizeof(family));
  std::string out = "{sa_family=" + xval(kAddressFamilies, family, "AF_???");
  if (n > sizeof(family)) {
    out += ", " + sockaddr_fields(buf, n);
  }
  return out + "}";
}

// --- message headers ---------------------------------------------------------------

namespace {

// strace reads at most net.core.optmem_max bytes of control data; this is
// the kernel's default.
constexpr size_t kOptmemMax = 20480;

// `[e0, e1, ...]` over `len` bytes of `T`s, at most strace's default -s of
// them (strace's print_local_array).
template <typename T>
std::string local_array(const char* data, size_t len, const auto& print) {
  std::string out = "[";
  for (size_t i = 0; i < len / sizeof(T); ++i) {
    if (i != 0) {
      out += ", ";
    }
    if (i >= FormatOptions{}.string_limit) {
      out += "...";
      break;
    }
    T value;
    std::memcpy(&value, data + i * sizeof(T), sizeof(T));
    out += print(value);
  }
  return out + "]";
}

// `, cmsg_data=...` for the messages strace decodes, else nothing.
std::string cmsg_data(int level, int type, const char* data, size_t len) {
  const auto decimal = [](auto v) { return std::to_string(v); };
  if (level == SOL_SOCKET) {
    if (type == SCM_RIGHTS && len >= sizeof(int)) {
      return ", cmsg_data=" + local_array<int32_t>(data, len, decimal);
    }
    if (type == SCM_CREDENTIALS && len >= sizeof(ucred)) {
      ucred cred;
      std::memcpy(&cred, data, sizeof(cred));
      return fmt::format(", cmsg_data={{pid={}, uid={}, gid={}}}", cred.pid, cred.uid, cred.gid);
    }
    // FIXME: strace also decodes SCM_SECURITY and the timestamp messages.
    return "";
  }
  if (level == SOL_IP) {
    switch (type) {
      case IP_TTL:
      case IP_CHECKSUM:
        if (len >= sizeof(uint32_t)) {
          return ", cmsg_data=" + local_array<uint32_t>(data, len, decimal);
        }
        break;
      case IP_TOS:
      case IP_RECVOPTS:
      case IP_RETOPTS:
        if (len >= 1) {
          return ", cmsg_data=" + local_array<uint8_t>(data, len, [](uint8_t v) { return hex(v); });
        }
        break;
      default:
        // FIXME: strace also decodes IP_PKTINFO, IP_RECVERR and IP_ORIGDSTADDR.
        break;
    }
  }
  return "";
}

std::string cmsg_type(int level, int type) {
  static constexpr Named kScm[] = {
      MOAT_NAMED(SCM_RIGHTS),
      MOAT_NAMED(SCM_CREDENTIALS),
      {3, "SCM_SECURITY"},
      MOAT_NAMED(SO_WIFI_STATUS),
      MOAT_NAMED(SO_TXTIME),
      MOAT_NAMED(SO_TIMESTAMP_OLD),
      MOAT_NAMED(SO_TIMESTAMPNS_OLD),
      MOAT_NAMED(SO_TIMESTAMPING_OLD),
      MOAT_NAMED(SO_TIMESTAMP_NEW),
      MOAT_NAMED(SO_TIMESTAMPNS_NEW),
      MOAT_NAMED(SO_TIMESTAMPING_NEW),
      MOAT_NAMED(SCM_TIMESTAMPING_OPT_STATS),
      MOAT_NAMED(SCM_TIMESTAMPING_PKTINFO),
  };
  static constexpr Named kIp[] = {
      MOAT_NAMED(IP_TOS),         MOAT_NAMED(IP_TTL),      MOAT_NAMED(IP_RECVOPTS),
      MOAT_NAMED(IP_RETOPTS),     MOAT_NAMED(IP_PKTINFO),  MOAT_NAMED(IP_RECVERR),
      MOAT_NAMED(IP_ORIGDSTADDR), MOAT_NAMED(IP_CHECKSUM), {3, "SCM_SECURITY"},
  };
  const auto t = static_cast<uint32_t>(type);
  switch (level) {
    case SOL_SOCKET:
      return xval(kScm, t, "SCM_???");
    case SOL_IP:
      return xval(kIp, t, "IP_???");
    default:
      return hex(t);
  }
}

// The control messages of `control_len` bytes at `addr`:
// [{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[3]}].
std::string format_control(const GuestReader& mem, uint64_t addr, uint64_t control_len) {
  const size_t len = static_cast<size_t>(std::min<uint64_t>(control_len, kOptmemMax));
  if (len < sizeof(cmsghdr)) {
    return format_address(addr);
  }
  std::string buf(len, '\0');
  if (addr == 0 || !mem.read(addr, buf.data(), len)) {
    return format_address(addr);
  }
  const char* base = buf.data();
  std::string out = "[";
  size_t offset = 0;
  size_t left = len;
  while (left >= sizeof(cmsghdr)) {
    cmsghdr header;
    std::memcpy(&header, base + offset, sizeof(header));
    if (offset != 0) {
      out += ", ";
    }
    const uint64_t shown = std::min<uint64_t>(header.cmsg_len, left);
    const size_t data_len = shown > sizeof(cmsghdr) ? shown - sizeof(cmsghdr) : 0;
    out += fmt::format(
        "{{cmsg_len={}, cmsg_level={}, cmsg_type={}{}}}", static_cast<uint64_t>(header.cmsg_len),
        xval(kSocketLevels, static_cast<uint32_t>(header.cmsg_level), "SOL_???"),
        cmsg_type(header.cmsg_level, header.cmsg_type),
        cmsg_data(header.cmsg_level, header.cmsg_type, base + offset + sizeof(cmsghdr), data_len));
    if (shown < sizeof(cmsghdr)) {
      left -= sizeof(cmsghdr);
      break;
    }
    const uint64_t step = (static_cast<uint64_t>(header.cmsg_len) + sizeof(uint64_t) - 1) &
                          ~uint64_t{sizeof(uint64_t) - 1};
    if (step >= left) {
      left = 0;
      break;
    }
    offset += step;
    left -= step;
  }
  if (left != 0) {
    out += ", ... /* " + format_address(addr + (len - left)) + " */";
  } else if (len < control_len) {
    out += ", ...";
  }
  return out + "]";
}

}  // namespace

std::string format_msghdr(const GuestReader& mem, uint64_t addr, uint64_t data_len,
                          const FormatOptions& opts) {
  // struct msghdr with its pointers as guest addresses.
  struct GuestMsghdr {
    uint64_t name;
    uint32_t namelen;
    uint64_t iov;
    uint64_t iovlen;
    uint64_t control;
    uint64_t controllen;
    int32_t flags;
  };
  static_assert(sizeof(GuestMsghdr) == sizeof(msghdr));
  static_assert(offsetof(GuestMsghdr, iov) == offsetof(msghdr, msg_iov));
  static_assert(offsetof(GuestMsghdr, control) == offsetof(msghdr, msg_control));
  static_assert(offsetof(GuestMsghdr, flags) == offsetof(msghdr, msg_flags));
  const std::optional<GuestMsghdr> msg = detail::read_struct<GuestMsghdr>(mem, addr);
  if (!msg) {
    return format_address(addr);
  }
  std::string out =
      fmt::format("{{msg_name={}, msg_namelen={}, msg_iov={}, msg_iovlen={}",
                  format_sockaddr(mem, msg->name, msg->namelen), static_cast<int32_t>(msg->namelen),
                  format_iovec(mem, msg->iov, msg->iovlen, data_len, opts), msg->iovlen);
  if (msg->controllen != 0) {
    out += ", msg_control=" + format_control(mem, msg->control, msg->controllen);
  }
  return out + fmt::format(", msg_controllen={}, msg_flags={}}}", msg->controllen,
                           format_msg_flags(static_cast<uint32_t>(msg->flags)));
}

}  // namespace moat::sentry::strace
