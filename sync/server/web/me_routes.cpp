// /me/'s routes (me_routes.hpp); the handlers live in me_sign_in.cpp and me_pages.cpp.
#include "sync/server/web/me_routes.hpp"

#include "sync/server/web/me_internal.hpp"

namespace muster::server {

namespace me {

Me::Me(MeOptions options)
    : options_(std::move(options)), mailer_(options_.smtp),
      requests_per_address_(3, std::chrono::minutes(15)),
      requests_per_client_(10, std::chrono::minutes(15)),
      wrong_codes_per_client_(20, std::chrono::minutes(15)) {}

void Me::install(const std::shared_ptr<Me>& self, httplib::Server& s) {
  s.Get("/me", [](const httplib::Request&, httplib::Response& res) { redirect(res, "/me/"); });
  s.Get("/me/",
        [self](const httplib::Request& req, httplib::Response& res) { self->get_home(req, res); });
  s.Post("/me/login", [self](const httplib::Request& req, httplib::Response& res) {
    self->post_login(req, res);
  });
  s.Post("/me/code", [self](const httplib::Request& req, httplib::Response& res) {
    self->post_code(req, res);
  });
  s.Post("/me/logout", [self](const httplib::Request& req, httplib::Response& res) {
    self->post_logout(req, res);
  });
  s.Get(R"(/me/([^/]+)/transcript\.pdf)",
        [self](const httplib::Request& req, httplib::Response& res) {
          self->get_pdf(req, res, "transcript");
        });
  s.Get(R"(/me/([^/]+)/events/([^/]+)/credit-form\.pdf)",
        [self](const httplib::Request& req, httplib::Response& res) {
          self->get_pdf(req, res, "credit-form");
        });
  s.Get(R"(/me/([^/]+)/events/([^/]+)/verification-letter\.pdf)",
        [self](const httplib::Request& req, httplib::Response& res) {
          self->get_pdf(req, res, "verification-letter");
        });
  s.Post(R"(/me/([^/]+)/events/([^/]+)/confirm)",
         [self](const httplib::Request& req, httplib::Response& res) {
           self->post_action(req, res, true);
         });
  s.Post(R"(/me/([^/]+)/events/([^/]+)/dispute)",
         [self](const httplib::Request& req, httplib::Response& res) {
           self->post_action(req, res, false);
         });
}

} // namespace me

void install_me_routes(httplib::Server& server, const MeOptions& options) {
  me::Me::install(std::make_shared<me::Me>(options), server); // the handlers own it
}

} // namespace muster::server
