-- chdkptp camera-side table serializer (Lua 5.1, CHDK).  Prepend to a script whose return
-- values or write_usb_msg values are tables: defines serialize(v) and installs it as
-- usb_msg_table_to_string, so tables reach the host as Lua literals that chdkptp.lua.loads
-- decodes with their types.  Output is compact: {1,2,a=3,["b c"]=4}; the array part 1..#t comes
-- first, then the other keys in pairs() order; strings use %q.  Errors (raised, so a return
-- value becomes an ERR/runtime message): cycles, nesting deeper than 32, keys or values of
-- other types (functions, userdata, threads), non-finite numbers.
do
  local type, tostring, tonumber, pairs, error = type, tostring, tonumber, pairs, error
  local format = string.format
  local find, concat = string.find, table.concat
  local maxdepth = 32
  local reserved = {}
  for w in string.gmatch("and break do else elseif end false for function if in local nil not or repeat return then true until while", "%a+") do
    reserved[w] = true
  end
  local put
  local function number(v)
    if v - v ~= 0 then error("serialize: number has no literal: " .. tostring(v), 0) end
    local s = tostring(v)
    -- tostring is exact for a camera's integers; on a host with float numbers it keeps only
    -- 14 digits, so fall back to 17
    if tonumber(s) ~= v then s = format("%.17g", v) end
    return s
  end
  local function key(k, out, n)
    local t = type(k)
    if t == "string" then
      if not reserved[k] and find(k, "^[_%a][_%w]*$") then
        out[n + 1] = k
        out[n + 2] = "="
        return n + 2
      end
      out[n + 1] = "[" .. format("%q", k) .. "]="
    elseif t == "number" then
      out[n + 1] = "[" .. number(k) .. "]="
    elseif t == "boolean" then
      out[n + 1] = "[" .. tostring(k) .. "]="
    else
      error("serialize: unsupported key type " .. t, 0)
    end
    return n + 1
  end
  put = function(v, out, n, seen, depth)
    local t = type(v)
    if t == "string" then
      out[n + 1] = format("%q", v)
      return n + 1
    elseif t == "number" then
      out[n + 1] = number(v)
      return n + 1
    elseif t == "boolean" or t == "nil" then
      out[n + 1] = tostring(v)
      return n + 1
    elseif t ~= "table" then
      error("serialize: unsupported type " .. t, 0)
    end
    if seen[v] then error("serialize: cycle", 0) end
    if depth >= maxdepth then error("serialize: nested deeper than " .. maxdepth, 0) end
    seen[v] = true
    n = n + 1
    out[n] = "{"
    local len = #v
    local sep = false
    for i = 1, len do
      if sep then n = n + 1; out[n] = "," end
      sep = true
      n = put(v[i], out, n, seen, depth + 1)
    end
    for k, x in pairs(v) do
      if not (type(k) == "number" and k >= 1 and k <= len and k % 1 == 0) then
        if sep then n = n + 1; out[n] = "," end
        sep = true
        n = key(k, out, n)
        n = put(x, out, n, seen, depth + 1)
      end
    end
    seen[v] = nil
    n = n + 1
    out[n] = "}"
    return n
  end
  function serialize(v)
    local out = {}
    put(v, out, 0, {}, 0)
    return concat(out)
  end
end
usb_msg_table_to_string = serialize
