import { useNavigate } from "react-router";
import { useInstance } from "../../api/instance";
import { Card, PageHeader } from "../../components/Card";
import { useDomains } from "../domains/queries";
import { LinkForm } from "./LinkForm";
import { linkPage } from "./linkRef";
import { EMPTY_LINK, createBody } from "./linkSchema";
import { useCreateLink } from "./queries";

export default function LinkCreatePage() {
  const navigate = useNavigate();
  const instance = useInstance();
  const domains = useDomains();
  const create = useCreateLink();
  return (
    <>
      <PageHeader title="New link" description="Shorten a URL. Only the target is required; everything else can be changed later, except the code." />
      <Card className="max-w-3xl">
        <LinkForm
          mode="create"
          initial={EMPTY_LINK}
          shortBase={instance.data?.short_base_url}
          domains={domains.data}
          submitLabel="Create link"
          onCancel={() => void navigate("/links")}
          onSubmit={async (values) => {
            const link = await create.mutateAsync(createBody(values));
            await navigate(linkPage(link), { state: { created: true } });
          }}
        />
      </Card>
    </>
  );
}
