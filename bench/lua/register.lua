-- POST /register with a new address on every request: <WRK_PREFIX>-<thread>-<n>@example.com.
-- WRK_CSRF is the form token matching the csrf cookie sent with -H.
dofile(os.getenv("WRK_LUA_DIR") .. "/report.lua")

local prefix = os.getenv("WRK_PREFIX")
local csrf = os.getenv("WRK_CSRF")
local password = "correct+horse+battery+staple"
local threads = 0
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n = 0
function request()
  n = n + 1
  local body = "_csrf=" .. csrf .. "&email=" .. prefix .. "-" .. tid .. "-" .. n .. "%40example.com"
    .. "&password=" .. password .. "&confirm=" .. password
  return wrk.format("POST", "/register", nil, body)
end
