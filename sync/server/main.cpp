// muster-server: the League server's admin commands and its HTTP API. A thin main: each command
// group's CLI11 wiring lives in its *_cli.hpp (admin_cli.hpp, serve_cli.hpp, credit_cli.hpp,
// ...), which calls the library. Exit codes: 0 done, 1 failed, 2 bad command line.
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "sync/server/admin_cli.hpp"
#include "sync/server/credit_cli.hpp"
#include "sync/server/device_cli.hpp"
#include "sync/server/devices_cli.hpp"
#include "sync/server/mail/mail_cli.hpp"
#include "sync/server/relay_cli.hpp"
#include "sync/server/revoke_cli.hpp"
#include "sync/server/serve_cli.hpp"
#include "sync/server/walk_in_cli.hpp"
#include "sync/server/web/user_cli.hpp"

int main(int argc, char** argv) {
  using namespace muster::server;
  CLI::App app{"muster-server: the League server of Muster (admin commands and the HTTP API)",
               "muster-server"};
  app.require_subcommand(1);
  app.fallthrough(false);

  AdminCli admin_cli(app);     // init, imports, badges, package, provision, credits, review, demo
  ServeCli serve_cli(app);     // serve
  CreditCli credit_cli(app);   // close-event, transcript, credit-form, report, ...
  WalkInCli walk_in_cli(app);  // walk-ins, confirm-walk-in
  UserCli user_cli(app);       // the console's accounts
  RevokeCli revoke_cli(app);   // revoke-device, revoke-token, revoke-desk
  DeviceCli device_cli(app);   // register-device, import-scans
  DevicesCli devices_cli(app); // devices
  RelayCli relay_cli(app);     // relay, relay-token
  mail::MailCli mail_cli(app); // mail-forms, remind, mail-status, disputes
  mail_cli.add_serve_options(serve_cli.command());

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);
    return 2;
  }

  // Exceptions are bugs: caught once here, reported, exit 1.
  try {
    std::ostream& o = std::cout;
    std::ostream& e = std::cerr;
    if (auto code = admin_cli.run(o, e)) return *code;
    if (auto code = serve_cli.run(mail_cli)) return *code;
    if (auto code = credit_cli.run(o, e)) return *code;
    if (auto code = walk_in_cli.run(o, e)) return *code;
    if (auto code = user_cli.run(o, e)) return *code;
    if (auto code = revoke_cli.run(o, e)) return *code;
    if (auto code = device_cli.run(o, e)) return *code;
    if (auto code = devices_cli.run(o, e)) return *code;
    if (auto code = relay_cli.run(o, e)) return *code;
    if (auto code = mail_cli.run(o, e)) return *code;
  } catch (const std::exception& error) {
    std::cerr << "internal error: " << error.what() << '\n';
    return 1;
  }
  return 2;
}
