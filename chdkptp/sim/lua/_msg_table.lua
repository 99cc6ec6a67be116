-- The simulated camera's default usb_msg_table_to_string, run inside every script's globals
-- (a script may replace it, as on a real camera).
--
-- Behaviour follows the fact sheet (section 5.1): one line per key, in pairs() order,
-- "key<TAB>field<TAB>field...\n". Scalar values give one field; table values give one field
-- per index 1..table.maxn(v) (holes read "nil", nested tables ""). Strings are used as they
-- are; numbers, booleans and nil through tostring; anything else is "". A line is written
-- only when both the key text and the field text are non-empty, so table keys and table
-- values without an array part disappear, while a function value still gives "key\t".

function usb_msg_table_to_string(t)
  local tostring, type = tostring, type
  local function text(v)
    local ty = type(v)
    if ty == "string" then
      return v
    elseif ty == "number" or ty == "boolean" or ty == "nil" then
      return tostring(v)
    end
    return ""
  end
  local lines = {}
  for k, v in pairs(t) do
    local fields
    if type(v) == "table" then
      local parts = {}
      for i = 1, table.maxn(v) do
        parts[i] = "\t" .. text(v[i])
      end
      fields = table.concat(parts)
    else
      fields = "\t" .. text(v)
    end
    local key = text(k)
    if key ~= "" and fields ~= "" then
      lines[#lines + 1] = key .. fields .. "\n"
    end
  end
  return table.concat(lines)
end
