// The rank's heartbeat client against a monitor played by hand: real sockets, one process.
#include "dist/heartbeat_client.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <string>

#include "dist/monitor_protocol.h"

namespace lasynth {
namespace dist {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// A monitor that drops the client's connection as soon as it has read its hello: the client is
// then writing its first beat, so each drop lands with a line in flight. After every drop the
// client must connect again and say hello first, with nothing of the old connection left in its
// queue.
TEST(HeartbeatClient, ReconnectsAndSaysHelloAfterTheMonitorDropsItMidWrite) {
  asio::io_context context;
  tcp::acceptor acceptor(context, {asio::ip::make_address("127.0.0.1"), 0});
  const std::string address = "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  MonitorHello hello;
  hello.token = "secret";
  hello.rank = 3;
  hello.size = 4;
  hello.host = "h3";
  hello.pid = 42;
  HeartbeatClient client(address, hello, 0.001, nullptr);
  constexpr int kDrops = 20;
  for (int connection = 0; connection <= kDrops; ++connection) {
    tcp::socket socket(context);
    acceptor.accept(socket);
    socket.set_option(asio::socket_base::receive_buffer_size(1 << 16));
    asio::streambuf incoming;
    // A client that stopped writing (its queue broken) would leave this read hanging: the
    // timeout ends it with an error instead.
    struct timeval timeout {
      5, 0
    };
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    boost::system::error_code error;
    const size_t n = asio::read_until(socket, incoming, '\n', error);
    ASSERT_FALSE(error) << "connection " << connection << ": no hello (" << error.message() << ")";
    const std::string line(asio::buffers_begin(incoming.data()),
                           asio::buffers_begin(incoming.data()) + static_cast<long>(n));
    const MonitorMessage message = parse_monitor_line(line);
    ASSERT_EQ(message.kind, MessageKind::kHello) << "connection " << connection << ": " << line;
    EXPECT_EQ(message.hello.rank, 3);
    if (connection == kDrops) {
      incoming.consume(n);
      const size_t m = asio::read_until(socket, incoming, '\n', error);
      ASSERT_FALSE(error) << "no beat after the hello (" << error.message() << ")";
      const std::string beat(asio::buffers_begin(incoming.data()),
                             asio::buffers_begin(incoming.data()) + static_cast<long>(m));
      EXPECT_EQ(parse_monitor_line(beat).kind, MessageKind::kBeat) << beat;
    }
    socket.close();
  }
}

}  // namespace
}  // namespace dist
}  // namespace lasynth
