-- Merges a provider's or a caller's JSON into what a row holds, the way Medusa's ORM
-- updates a JSON column (MikroORM's assign with mergeObjectProperties): objects merge key by
-- key, recursively; anything else (arrays, strings, null) replaces. A null source keeps the
-- target. Used for session and payment `data`.
-- Writes: nothing.
--
-- Defined by Migration20261202004548.
-- To change it, edit this file and add a migration that runs the same text (README, "Development").
create or replace function payment_json_merge(target jsonb, source jsonb)
returns jsonb
language plpgsql immutable
as $$
  begin
    if source is null then
      return target;
    end if;
    if jsonb_typeof(target) is distinct from 'object' or jsonb_typeof(source) <> 'object' then
      return source;
    end if;
    return target || coalesce((
      select jsonb_object_agg(s.key,
               case when jsonb_typeof(s.value) = 'object' and jsonb_typeof(target -> s.key) = 'object'
                    then payment_json_merge(target -> s.key, s.value)
                    else s.value end)
        from jsonb_each(source) s), '{}'::jsonb);
  end $$;
