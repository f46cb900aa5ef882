-- A fixed urlencoded form POST. WRK_BODY is the body; cookies come with -H.
dofile(os.getenv("WRK_LUA_DIR") .. "/report.lua")

wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
