# Every third-party library is a Debian 12 package, found here and nowhere else.
# packaging/setup.sh installs them; nothing is downloaded at build time.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# Core library (shared/)
find_package(SQLite3 REQUIRED)                        # libsqlite3-dev
pkg_check_modules(sodium REQUIRED IMPORTED_TARGET libsodium)   # libsodium-dev
find_package(nlohmann_json 3.10 REQUIRED)             # nlohmann-json3-dev
find_package(date REQUIRED)                           # libhowardhinnant-date-dev (IANA zones)
find_package(CLI11 REQUIRED)                          # libcli11-dev (command lines)

# Kiosk (kiosk/): Dear ImGui ships libimgui.a with the GLFW and OpenGL3 backends.
pkg_check_modules(imgui REQUIRED IMPORTED_TARGET imgui stb)    # libimgui-dev
find_package(glfw3 REQUIRED)                          # libglfw3-dev
find_package(OpenGL REQUIRED)
find_package(Freetype REQUIRED)
find_package(ZXing REQUIRED)                          # libzxing-dev

# Sync and server (sync/)
find_package(CURL REQUIRED)                           # libcurl4-openssl-dev
pkg_check_modules(httplib REQUIRED IMPORTED_TARGET cpp-httplib)  # libcpp-httplib-dev
find_package(PostgreSQL REQUIRED)                     # libpq-dev
pkg_check_modules(cairo REQUIRED IMPORTED_TARGET cairo)        # libcairo2-dev

if(MUSTER_BUILD_TESTS)
  find_package(GTest REQUIRED)                        # libgtest-dev
endif()
if(MUSTER_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)                    # libbenchmark-dev
endif()
