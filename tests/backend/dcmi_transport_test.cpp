// SPDX-License-Identifier: BSD-3-Clause
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sensors/ipmi/dcmi_response.hpp"
#include "sensors/ipmi/open_ipmi_transport.hpp"
#include "support/ipmi_replay_transport.hpp"
#include "support/test_support.hpp"

namespace jt {
namespace {

using Bytes = std::vector<std::uint8_t>;
using std::chrono::milliseconds;

const Bytes kGood412W = {0x00, 0xDC, 0x9C, 0x01, 0xB4, 0x00, 0x8F, 0x02, 0x8E, 0x01,
                         0xC3, 0xB2, 0xA1, 0x66, 0xE8, 0x03, 0x00, 0x00, 0x40};
const Bytes kGood415W = {0x00, 0xDC, 0x9F, 0x01, 0xB4, 0x00, 0x8F, 0x02, 0x8F, 0x01,
                         0xC3, 0xB2, 0xA1, 0x66, 0xE8, 0x03, 0x00, 0x00, 0x40};

using test::contains;

// ---- replay scripts ------------------------------------------------------------------------

TEST(DcmiReplay, FixtureFileGivesItsResponsesInOrderThenEnds) {
  auto replay = ReplayTransport::from_file(test::fixture_dir("dcmi/normal.txt"));
  ASSERT_TRUE(replay.has_value()) << replay.error().message;
  const IpmiRequest request = dcmi_power_reading_request();
  EXPECT_EQ((*replay)->send(request, milliseconds(100)).value(), kGood412W);
  EXPECT_EQ((*replay)->send(request, milliseconds(100)).value(), kGood415W);
  EXPECT_TRUE((*replay)->send(request, milliseconds(100)).has_value());
  const auto ended = (*replay)->send(request, milliseconds(100));
  ASSERT_FALSE(ended.has_value());
  EXPECT_EQ(ended.error().kind, ErrorKind::kIo);
  EXPECT_TRUE(contains(ended.error().message, "the script ended after 3 steps"));
  ASSERT_EQ((*replay)->requests().size(), 4u);
  EXPECT_EQ((*replay)->requests()[0].data, (Bytes{0xDC, 0x01, 0x00, 0x00}));
  EXPECT_EQ((*replay)->timeouts()[0], milliseconds(100));
}

TEST(DcmiReplay, AcceptsPrefixedBytesCommentsAndKeywords) {
  const auto script = parse_replay_script(
      "# comment\n\n0x00 0XdC 7   # trailing comment\r\ntimeout\nfail link down\nlost\n", "inline");
  ASSERT_TRUE(script.has_value()) << script.error().message;
  ASSERT_EQ(script->steps.size(), 4u);
  EXPECT_EQ(script->steps[0].bytes, (Bytes{0x00, 0xDC, 0x07}));
  EXPECT_EQ(script->steps[1].kind, ReplayStep::Kind::kTimeout);
  EXPECT_EQ(script->steps[2].kind, ReplayStep::Kind::kFail);
  EXPECT_EQ(script->steps[2].message, "link down");
  EXPECT_EQ(script->steps[3].kind, ReplayStep::Kind::kLost);
  EXPECT_FALSE(script->loop);
}

TEST(DcmiReplay, MalformedScriptsNameTheLine) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"00 dc\n00 zz\n", "inline:2: 'zz' is neither a hex byte"},
      {"00 123\n", "inline:1: '123' is neither a hex byte"},
      {"loop\n", "inline:1: 'loop' with no step before it"},
      {"00\nloop\n00\n", "inline:3: 'loop' must be the last step"},
      {"fail\n", "inline:1: 'fail' needs a message"},
      {"timeout now\n", "inline:1: 'timeout' takes nothing after it"},
      {"# nothing\n\n", "inline: no steps"},
  };
  for (const auto& c : cases) {
    const auto script = parse_replay_script(c.text, "inline");
    ASSERT_FALSE(script.has_value()) << c.text;
    EXPECT_EQ(script.error().kind, ErrorKind::kInvalidData);
    EXPECT_TRUE(contains(script.error().message, c.message)) << script.error().message;
  }
  const auto missing = ReplayTransport::from_file(test::fixture_dir("dcmi/no-such-file.txt"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST(DcmiReplay, TimeoutLostAndLoopSteps) {
  ReplayScript script;
  script.steps = {ReplayStep::timeout(), ReplayStep::response(kGood412W)};
  script.loop = true;
  ReplayTransport looping(script, "bmc");
  const auto timed_out = looping.send(dcmi_power_reading_request(), milliseconds(250));
  ASSERT_FALSE(timed_out.has_value());
  EXPECT_EQ(timed_out.error().message, "bmc: no response from the BMC within 250 ms (timed out)");
  EXPECT_TRUE(looping.send(dcmi_power_reading_request(), milliseconds(250)).has_value());
  EXPECT_FALSE(looping.send(dcmi_power_reading_request(), milliseconds(250)).has_value());
  EXPECT_TRUE(looping.send(dcmi_power_reading_request(), milliseconds(250)).has_value());

  ReplayTransport dying(ReplayScript{{ReplayStep::lost(), ReplayStep::response(kGood412W)}, false});
  for (int i = 0; i < 3; ++i) {
    const auto gone = dying.send(dcmi_power_reading_request(), milliseconds(250));
    ASSERT_FALSE(gone.has_value());
    EXPECT_EQ(gone.error().kind, ErrorKind::kDeviceLost);  // and stays gone
  }
}

// ---- OpenIpmiTransport over a scripted character device ------------------------------------

// A BMC behind a fake /dev/ipmi0: `on_send` decides what gets queued for each request.
struct FakeBmc {
  std::deque<IpmiCharDevice::Reply> queue;
  std::vector<long> sent_msgids;
  std::vector<IpmiRequest> sent;
  int send_errno = 0;
  std::deque<int> wait_results;    // scripted poll results, before the queue is looked at
  std::deque<int> receive_errors;  // scripted receive errors, before the queue is looked at
  std::function<void(FakeBmc&, long, const IpmiRequest&)> on_send;
};

IpmiCharDevice::Reply response_to(long msgid, const Bytes& data, std::uint8_t netfn = 0x2D,
                                  std::uint8_t cmd = 0x02) {
  IpmiCharDevice::Reply reply;
  reply.is_response = true;
  reply.msgid = msgid;
  reply.netfn = netfn;
  reply.cmd = cmd;
  reply.data = data;
  return reply;
}

class FakeCharDevice final : public IpmiCharDevice {
 public:
  explicit FakeCharDevice(std::shared_ptr<FakeBmc> bmc) : bmc_(std::move(bmc)) {}

  int send(long msgid, const IpmiRequest& request) override {
    if (bmc_->send_errno != 0) return bmc_->send_errno;
    bmc_->sent_msgids.push_back(msgid);
    bmc_->sent.push_back(request);
    if (bmc_->on_send) bmc_->on_send(*bmc_, msgid, request);
    return 0;
  }
  int wait_readable(milliseconds timeout) override {
    if (!bmc_->wait_results.empty()) {
      const int result = bmc_->wait_results.front();
      bmc_->wait_results.pop_front();
      return result;
    }
    if (!bmc_->queue.empty()) return 1;
    std::this_thread::sleep_for(timeout);  // a silent BMC: poll() runs out
    return 0;
  }
  int receive(Reply& reply) override {
    if (!bmc_->receive_errors.empty()) {
      const int error = bmc_->receive_errors.front();
      bmc_->receive_errors.pop_front();
      return error;
    }
    if (bmc_->queue.empty()) return EAGAIN;
    reply = bmc_->queue.front();
    bmc_->queue.pop_front();
    return 0;
  }

 private:
  std::shared_ptr<FakeBmc> bmc_;
};

struct Rig {
  std::shared_ptr<FakeBmc> bmc = std::make_shared<FakeBmc>();
  OpenIpmiTransport transport{std::make_unique<FakeCharDevice>(bmc), "/dev/ipmi0"};
};

void answer_every_request_with(FakeBmc& bmc, Bytes data) {
  bmc.on_send = [data](FakeBmc& b, long msgid, const IpmiRequest&) {
    b.queue.push_back(response_to(msgid, data));
  };
}

TEST(OpenIpmiTransport, ReturnsTheReplyThatCarriesTheRequestsMsgid) {
  Rig rig;
  answer_every_request_with(*rig.bmc, kGood412W);
  const auto first = rig.transport.send(dcmi_power_reading_request(), milliseconds(200));
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(*first, kGood412W);
  EXPECT_TRUE(rig.transport.send(dcmi_power_reading_request(), milliseconds(200)).has_value());
  ASSERT_EQ(rig.bmc->sent_msgids.size(), 2u);
  EXPECT_NE(rig.bmc->sent_msgids[0], rig.bmc->sent_msgids[1]);
  EXPECT_EQ(rig.bmc->sent[0].netfn, 0x2C);
  EXPECT_EQ(rig.bmc->sent[0].cmd, 0x02);
  EXPECT_EQ(rig.transport.stale_replies(), 0u);
}

TEST(OpenIpmiTransport, LateReplyToATimedOutRequestIsNotTakenForTheNextOne) {
  Rig rig;
  long first_msgid = -1;
  // The BMC stays silent for the first request and answers it late, just before the second.
  rig.bmc->on_send = [&](FakeBmc& bmc, long msgid, const IpmiRequest&) {
    if (first_msgid < 0) {
      first_msgid = msgid;
      return;
    }
    bmc.queue.push_back(response_to(first_msgid, kGood412W));
    bmc.queue.push_back(response_to(msgid, kGood415W));
  };
  const auto start = std::chrono::steady_clock::now();
  const auto timed_out = rig.transport.send(dcmi_power_reading_request(), milliseconds(30));
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(timed_out.has_value());
  EXPECT_EQ(timed_out.error().kind, ErrorKind::kIo);
  EXPECT_EQ(timed_out.error().message,
            "/dev/ipmi0: no response from the BMC within 30 ms (timed out)");
  EXPECT_GE(waited, milliseconds(30));

  const auto second = rig.transport.send(dcmi_power_reading_request(), milliseconds(200));
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(*second, kGood415W);
  EXPECT_EQ(rig.transport.stale_replies(), 1u);
}

TEST(OpenIpmiTransport, EventsAndStrayRepliesAreSkipped) {
  Rig rig;
  rig.bmc->on_send = [](FakeBmc& bmc, long msgid, const IpmiRequest&) {
    IpmiCharDevice::Reply event;
    event.is_response = false;  // an asynchronous event carries no completion code
    event.msgid = msgid;
    bmc.queue.push_back(event);
    bmc.queue.push_back(response_to(msgid + 1000, kGood412W));
    bmc.queue.push_back(response_to(msgid, kGood415W));
  };
  rig.bmc->receive_errors = {EAGAIN};  // a wake-up with nothing to take
  rig.bmc->wait_results = {-EINTR};    // a signal during poll()
  const auto reply = rig.transport.send(dcmi_power_reading_request(), milliseconds(200));
  ASSERT_TRUE(reply.has_value()) << reply.error().message;
  EXPECT_EQ(*reply, kGood415W);
  EXPECT_EQ(rig.transport.stale_replies(), 2u);
}

TEST(OpenIpmiTransport, EndlessStrayRepliesStillEndAtTheDeadline) {
  Rig rig;
  rig.bmc->on_send = [](FakeBmc& bmc, long msgid, const IpmiRequest&) {
    for (int i = 0; i < 100'000; ++i) bmc.queue.push_back(response_to(msgid + 1 + i, kGood412W));
  };
  const auto reply = rig.transport.send(dcmi_power_reading_request(), milliseconds(20));
  ASSERT_FALSE(reply.has_value());
  EXPECT_TRUE(contains(reply.error().message, "timed out")) << reply.error().message;
}

TEST(OpenIpmiTransport, ReplyForAnotherCommandOrTruncatedIsInvalid) {
  {
    Rig rig;
    rig.bmc->on_send = [](FakeBmc& bmc, long msgid, const IpmiRequest&) {
      bmc.queue.push_back(response_to(msgid, kGood412W, 0x07, 0x01));
    };
    const auto reply = rig.transport.send(dcmi_power_reading_request(), milliseconds(200));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().kind, ErrorKind::kInvalidData);
    EXPECT_TRUE(
        contains(reply.error().message, "is for netfn 0x07 cmd 0x01, expected netfn 0x2D cmd 0x02"))
        << reply.error().message;
  }
  {
    Rig rig;
    rig.bmc->on_send = [](FakeBmc& bmc, long msgid, const IpmiRequest&) {
      auto reply = response_to(msgid, kGood412W);
      reply.truncated = true;
      bmc.queue.push_back(reply);
    };
    const auto reply = rig.transport.send(dcmi_power_reading_request(), milliseconds(200));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().kind, ErrorKind::kInvalidData);
    EXPECT_TRUE(contains(reply.error().message, "EMSGSIZE")) << reply.error().message;
  }
}

TEST(OpenIpmiTransport, ErrnoValuesBecomeKindsWithClearMessages) {
  struct Case {
    int send_errno;
    int wait_result;
    int receive_errno;
    ErrorKind kind;
    const char* message;
  };
  const Case cases[] = {
      {ENOTTY, 0, 0, ErrorKind::kUnsupported, "IPMICTL_SEND_COMMAND failed"},
      {ENODEV, 0, 0, ErrorKind::kDeviceLost, "the IPMI interface is gone"},
      {ENXIO, 0, 0, ErrorKind::kDeviceLost, "the IPMI interface is gone"},
      {EACCES, 0, 0, ErrorKind::kPermissionDenied, "EACCES"},
      {EIO, 0, 0, ErrorKind::kIo, "EIO"},
      {0, -ENODEV, 0, ErrorKind::kDeviceLost, "poll failed"},
      {0, 1, ENODEV, ErrorKind::kDeviceLost, "IPMICTL_RECEIVE_MSG_TRUNC failed"},
      {0, 1, EFAULT, ErrorKind::kIo, "IPMICTL_RECEIVE_MSG_TRUNC failed"},
  };
  for (const auto& c : cases) {
    Rig rig;
    answer_every_request_with(*rig.bmc, kGood412W);
    rig.bmc->send_errno = c.send_errno;
    if (c.wait_result != 0) rig.bmc->wait_results.push_back(c.wait_result);
    if (c.receive_errno != 0) rig.bmc->receive_errors.push_back(c.receive_errno);
    const auto reply = rig.transport.send(dcmi_power_reading_request(), milliseconds(200));
    ASSERT_FALSE(reply.has_value()) << c.message;
    EXPECT_EQ(reply.error().kind, c.kind) << reply.error().message;
    EXPECT_TRUE(contains(reply.error().message, c.message)) << reply.error().message;
    EXPECT_TRUE(contains(reply.error().message, "/dev/ipmi0")) << reply.error().message;
  }
}

// ---- OpenIpmiTransport on real files ---------------------------------------------------------

TEST(OpenIpmiTransport, MissingDeviceIsNotFound) {
  test::TempTree dev;
  const auto transport = OpenIpmiTransport::open(dev / "ipmi0");
  ASSERT_FALSE(transport.has_value());
  EXPECT_EQ(transport.error().kind, ErrorKind::kNotFound);
  EXPECT_TRUE(contains(transport.error().message, "ENOENT")) << transport.error().message;
}

TEST(OpenIpmiTransport, FilesThatAreNoIpmiDeviceFailAtTheIoctl) {
  test::TempTree dev;
  test::write_file(dev / "ipmi0", "not a device\n");
  for (const auto& path : {dev / "ipmi0", std::filesystem::path("/dev/null")}) {
    auto transport = OpenIpmiTransport::open(path);
    ASSERT_TRUE(transport.has_value()) << transport.error().message;
    const auto reply = (*transport)->send(dcmi_power_reading_request(), milliseconds(100));
    ASSERT_FALSE(reply.has_value());
    EXPECT_EQ(reply.error().kind, ErrorKind::kUnsupported);
    EXPECT_TRUE(contains(reply.error().message, path.string() + ": IPMICTL_SEND_COMMAND failed: "))
        << reply.error().message;
    EXPECT_TRUE(contains(reply.error().message, "ENOTTY")) << reply.error().message;
    EXPECT_TRUE(contains(reply.error().message, "not an IPMI device")) << reply.error().message;
  }
}

}  // namespace
}  // namespace jt
