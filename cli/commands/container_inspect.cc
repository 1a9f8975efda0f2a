// inspect: containers (and, for the top-level verb, images) as docker's JSON.

#include "absl/strings/str_cat.h"
#include "cli/commands/container_common.h"
#include "cli/format/template.h"
#include "cli/render/container_json.h"
#include "cli/render/image_json.h"

namespace skiff::cli::container {

namespace v1 = ::skiff::v1;

namespace {

int InspectObjects(Context& ctx, const std::vector<std::string>& args, const std::string& cmd,
                   bool container_only) {
  std::string format, type = container_only ? "container" : "";
  bool size = false;
  FlagSet fs(absl::StrCat("skiff ", cmd, " [OPTIONS] ",
                          container_only ? "CONTAINER [CONTAINER...]" : "NAME|ID [NAME|ID...]"),
             container_only ? "Display detailed information on one or more containers"
                            : "Return low-level information on Skiff objects");
  fs.String("format", 'f', &format, "Format output using a custom template");
  fs.Bool("size", 's', &size, "Display total file sizes if the type is container");
  if (!container_only) fs.String("type", 0, &type, "Return JSON for specified type");
  int exit = 0;
  auto refs = Parse(ctx, fs, cmd, args, &exit, 1);
  if (!refs) return exit;
  if (!type.empty() && type != "container" && type != "image") {
    ctx.err() << "\"" << type << "\" is not a valid value for --type\n";
    return 1;
  }
  std::optional<Template> tmpl;
  if (!format.empty()) {
    auto t = Template::Parse(format);
    if (!t.ok()) {
      ctx.err() << "template parsing error: " << t.status().message() << "\n";
      return 1;
    }
    tmpl = std::move(*t);
  }

  nlohmann::ordered_json found = nlohmann::ordered_json::array();
  std::vector<std::string> errors;
  for (const std::string& ref : *refs) {
    grpc::Status s;
    if (type.empty() || type == "container") {
      grpc::ClientContext c;
      v1::InspectContainerRequest req;
      req.set_id(ref);
      req.set_size(size);
      v1::InspectContainerResponse resp;
      s = ctx.containers().Inspect(&c, req, &resp);
      if (s.ok()) {
        found.push_back(ContainerInspectJson(resp.container()));
        continue;
      }
    }
    if ((type.empty() && s.error_code() == grpc::StatusCode::NOT_FOUND) || type == "image") {
      grpc::ClientContext c;
      v1::InspectImageRequest req;
      req.set_ref(ref);
      v1::InspectImageResponse resp;
      s = ctx.images().Inspect(&c, req, &resp);
      if (s.ok()) {
        found.push_back(ImageInspectJson(resp.image()));
        continue;
      }
    }
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) {
      const char* what = type == "container" ? "container" : type == "image" ? "image" : "object";
      errors.push_back(absl::StrCat("Error: No such ", what, ": ", ref));
    } else {
      errors.push_back(ctx.ErrorText(s));
    }
  }

  if (tmpl) {
    for (const auto& item : found) {
      auto text = tmpl->Execute(nlohmann::json::parse(item.dump()));
      if (!text.ok()) {
        ctx.err() << "template: " << text.status().message() << "\n";
        return 1;
      }
      ctx.out() << *text << "\n";
    }
  } else {
    ctx.out() << found.dump(4) << "\n";
  }
  ctx.out().flush();
  for (const auto& e : errors) ctx.err() << e << "\n";
  return errors.empty() ? 0 : 1;
}

}  // namespace

int Inspect(Context& ctx, const std::vector<std::string>& args) {
  return InspectObjects(ctx, args, "inspect", false);
}

int InspectContainer(Context& ctx, const std::vector<std::string>& args) {
  return InspectObjects(ctx, args, "container inspect", true);
}

}  // namespace skiff::cli::container
