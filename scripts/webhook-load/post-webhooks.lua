-- wrk script: POSTs the signed webhooks of $WEBHOOK_FILE (one "<signature>\t<body>" per line, from sign.py)
-- to /webhooks/meta, each once, then stops.
local reqs = {}
local n = 0
for line in io.lines(os.getenv("WEBHOOK_FILE")) do
  local tab = line:find("\t", 1, true)
  n = n + 1
  reqs[n] = wrk.format("POST", "/webhooks/meta", {["Content-Type"] = "application/json", ["X-Hub-Signature-256"] = line:sub(1, tab - 1)}, line:sub(tab + 1))
end
local i = 0
local done = 0
request = function()
  i = i + 1
  if i > n then i = n end
  return reqs[i]
end
response = function(status)
  done = done + 1
  if done >= n then wrk.thread:stop() end
end
