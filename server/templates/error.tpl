{{%AUTOESCAPE context="HTML"}}
{{! A request that failed: the message as text. }}
<main role="main"><h1 class="visually-hidden">Search error</h1><p class="error" role="alert">{{LEAD}}{{MESSAGE}}</p></main>
