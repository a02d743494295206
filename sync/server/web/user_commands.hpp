#pragma once
// `muster-server user add|list|remove|passwd`: the console's accounts. Passwords come
// from standard input (one line), never from the command line. Each change is an audit entry.
#include <istream>
#include <ostream>
#include <string>

namespace muster::server {

int run_user_add(const std::string& database, const std::string& name, const std::string& role,
                 std::istream& in, std::ostream& out, std::ostream& err);
int run_user_list(const std::string& database, std::ostream& out, std::ostream& err);
int run_user_remove(const std::string& database, const std::string& name, std::ostream& out,
                    std::ostream& err);
int run_user_passwd(const std::string& database, const std::string& name, std::istream& in,
                    std::ostream& out, std::ostream& err);

// Creates (or keeps) a console account for the demo: returns false with a message on failure.
bool ensure_console_user(const std::string& database, const std::string& name,
                         const std::string& role, const std::string& password, std::string& error);

} // namespace muster::server
