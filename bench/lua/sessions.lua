-- GETs that take turns among many sessions: WRK_COOKIES holds one Cookie header value per line,
-- each request carries the next (requests are formatted once, in init). A server that looks
-- sessions up in batches then reads as many rows as it would for as many users.
dofile(os.getenv("WRK_LUA_DIR") .. "/report.lua")

local requests = {}
local i = 0

function init(args)
  for cookie in string.gmatch(os.getenv("WRK_COOKIES"), "[^\n]+") do
    wrk.headers["Cookie"] = cookie
    requests[#requests + 1] = wrk.format()
  end
end

function request()
  i = i % #requests + 1
  return requests[i]
end
